"""`python -m saas_pack generate|check [--root DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import generate, thresholds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m saas_pack")
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    args = parser.parse_args(argv)
    try:
        table = thresholds.load(args.root)
    except thresholds.ThresholdsError as error:
        print(f"{thresholds.THRESHOLDS_PATH}: {error}", file=sys.stderr)
        return 2
    files = generate.render(table)
    try:
        files.update(generate.spliced(args.root, table))
    except ValueError as error:
        print(f"{generate.README_PATH}: {error}", file=sys.stderr)
        return 2
    if args.command == "generate":
        changed = generate.write(args.root, files)
        print(f"{len(files)} files rendered, {len(changed)} changed")
        return 0
    diff = generate.drift(args.root, files)
    if diff:
        sys.stdout.write(diff)
        print("generated files are out of date: run `make generate`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
