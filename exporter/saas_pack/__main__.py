"""`python -m saas_pack generate|check [--table FILE] [--root DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from saas_tools.checkout import default_root

from . import thresholds

PROG = "python -m saas_pack"
SDK = "grafana_foundation_sdk"  # the `pack` extra: saas-exporter[pack]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Render the rule pack (rules, PrometheusRule manifest, runbooks, promtool "
        "tests, dashboards) from the threshold table, or check the rendered files.",
    )
    parser.add_argument(
        "command",
        choices=["generate", "check"],
        help="generate: write the files; check: exit 1 with a diff when they differ",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="where the generated files are written or compared (default: the checkout: "
        "the current directory, else the one this code is installed from)",
    )
    parser.add_argument(
        "--table",
        type=Path,
        help="the threshold table, with thresholds.schema.json beside it "
        f"(default: ROOT/{thresholds.THRESHOLDS_PATH})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        # The dashboards are built with the SDK, a dependency of the pack only.
        from . import generate
    except ModuleNotFoundError as error:
        if error.name != SDK and not (error.name or "").startswith(f"{SDK}."):
            raise
        print(
            f"{PROG}: the rule pack needs grafana-foundation-sdk, which is not installed: "
            "pip install 'saas-exporter[pack]'",
            file=sys.stderr,
        )
        return 2
    root = args.root or default_root(lambda root: (root / thresholds.THRESHOLDS_PATH).is_file())
    if root is None:
        print(
            f"{PROG}: no checkout here ({Path.cwd()}) with {thresholds.THRESHOLDS_PATH}: "
            "run from a checkout or pass --root DIR (and --table FILE)",
            file=sys.stderr,
        )
        return 2
    table_path = args.table or root / thresholds.THRESHOLDS_PATH
    shown = args.table or thresholds.THRESHOLDS_PATH  # as given, or relative to the root
    try:
        table = thresholds.load_table(table_path)
    except OSError as error:
        print(f"{PROG}: {shown}: {error.strerror or error}", file=sys.stderr)
        return 2
    except thresholds.ThresholdsError as error:
        print(f"{shown}: {error}", file=sys.stderr)
        return 2
    files = generate.render(table)
    try:
        files.update(generate.spliced(root, table))
    except ValueError as error:
        print(f"{generate.README_PATH}: {error}", file=sys.stderr)
        return 2
    if args.command == "generate":
        changed = generate.write(root, files)
        print(f"{len(files)} files rendered, {len(changed)} changed")
        return 0
    diff = generate.drift(root, files)
    if diff:
        sys.stdout.write(diff)
        print("generated files are out of date: run `make generate`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
