"""Render every generated file in memory, then write them or compare them with disk."""

from __future__ import annotations

import difflib
from pathlib import Path

from . import dashboards, promtool_tests, rules, runbooks, yamlio
from .thresholds import Table

MANIFEST_PATH = "deploy/kubernetes/saas-exporter-prometheusrule.yaml"
# Paths the generator owns: a file here that it no longer renders is stale.
OWNED_GLOBS = (
    "rules/*.rules.yaml",
    MANIFEST_PATH,
    "docs/runbooks/**/*.md",
    "promtool-tests/generated-*.yaml",
    "dashboards/*.json",
)
# Hand-written files with a generated block (the dashboards' panel list).
README_PATH = "README.md"


def render(table: Table) -> dict[str, str]:
    header = rules.GENERATED_HEADER
    files = {
        path: yamlio.dump(content, header) for path, content in rules.rule_files(table).items()
    }
    files[MANIFEST_PATH] = yamlio.dump(rules.prometheus_rule(table), header)
    files.update(runbooks.render(table))
    files.update(
        {
            path: yamlio.dump(content, header)
            for path, content in promtool_tests.render(table).items()
        }
    )
    files.update(dashboards.render(table))
    return files


def spliced(root: Path, table: Table) -> dict[str, str]:
    """README.md with its generated dashboard block, when the root has a README."""
    readme = root / README_PATH
    if not readme.exists():
        return {}
    return {README_PATH: dashboards.splice_readme(readme.read_text(), table)}


def owned_on_disk(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for pattern in OWNED_GLOBS
        for path in root.glob(pattern)
        if path.is_file()
    }


def write(root: Path, files: dict[str, str]) -> list[str]:
    """Write the files, delete stale owned ones; return the paths that changed."""
    changed = []
    for path, content in files.items():
        target = root / path
        if not target.exists() or target.read_text() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            changed.append(path)
    for stale in sorted(owned_on_disk(root) - set(files)):
        (root / stale).unlink()
        changed.append(stale)
    return changed


def drift(root: Path, files: dict[str, str]) -> str:
    """A unified diff from what is on disk to what would be generated; '' if none."""
    parts = []
    for path in sorted(set(files) | owned_on_disk(root)):
        target = root / path
        current = target.read_text() if target.exists() else ""
        wanted = files.get(path, "")
        if current != wanted:
            parts.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    wanted.splitlines(keepends=True),
                    fromfile=f"{path} (on disk)",
                    tofile=f"{path} (generated)",
                )
            )
    return "".join(parts)
