"""`python -m saas_tools.drill`: run the incident drill and print time-to-detect."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..checkout import CheckoutNotFound, find_checkout
from ..stack.polling import DeadlineExceeded
from .results import Timings, detection_table
from .run import Drill, DrillFailure
from .scenarios import SCENARIOS

PROG = "python -m saas_tools.drill"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Break the simulated vendor scenario by scenario and check that the "
        "right pages arrive, with the right text, and resolve (real Prometheus and "
        "Alertmanager on loopback).",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        metavar="DIR",
        help="the saas-exporter checkout whose rules/*.rules.yaml and "
        "alertmanager/alertmanager.yml the drill runs (default: the current directory, "
        "else the checkout this code is installed from)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.id for s in SCENARIOS],
        metavar="NAME",
        help="run only this scenario (repeatable; default: all of them): "
        + ", ".join(s.id for s in SCENARIOS),
    )
    parser.add_argument("--keep", metavar="DIR", type=Path, help="keep configs and logs in DIR")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        checkout = find_checkout(args.repo)
    except CheckoutNotFound as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    scenarios = tuple(s for s in SCENARIOS if not args.scenario or s.id in args.scenario)
    timings = Timings()
    started = time.monotonic()
    try:
        with Drill(checkout, workdir=args.keep, timings=timings) as drill:
            results, failures = drill.run(scenarios)
    except (DrillFailure, DeadlineExceeded) as err:  # a scenario, or the start-up
        print(f"drill FAILED: {err}", file=sys.stderr)
        return 1
    print()
    print("Time to detect (fault -> first notification at a receiver):")
    print()
    print(detection_table(results, timings))
    print()
    took = time.monotonic() - started
    if failures:
        print(f"drill FAILED: {len(failures)} of {len(results) + len(failures)} scenarios:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(f"drill passed: {len(results)} scenarios in {took:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
