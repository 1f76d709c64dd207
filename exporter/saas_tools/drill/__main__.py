"""`python -m saas_tools.drill`: run the incident drill and print time-to-detect."""

from __future__ import annotations

import argparse
import sys
import time

from .run import Drill, DrillFailure, Timings, detection_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m saas_tools.drill",
        description="Break the simulated vendor scenario by scenario and check that the "
        "right pages arrive, with the right text, and resolve (real Prometheus and "
        "Alertmanager on loopback).",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep configs and logs in DIR")
    args = parser.parse_args(argv)
    timings = Timings()
    started = time.monotonic()
    try:
        with Drill(workdir=args.keep, timings=timings) as drill:
            results, failures = drill.run()
    except DrillFailure as err:
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
