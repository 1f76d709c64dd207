"""Shared fixtures for the rule-pack tests."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return json.loads((REPO / "rules/thresholds.schema.json").read_text())


@pytest.fixture(scope="session")
def _document() -> dict[str, Any]:
    return yaml.safe_load((REPO / "rules/thresholds.yaml").read_text())


@pytest.fixture
def document(_document: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the real table, for tests that break or extend it."""
    return copy.deepcopy(_document)


@pytest.fixture
def pack_root(tmp_path: Path) -> Path:
    """A scratch repository root holding just the table and its schema."""
    (tmp_path / "rules").mkdir()
    for name in ("thresholds.yaml", "thresholds.schema.json"):
        shutil.copy(REPO / "rules" / name, tmp_path / "rules" / name)
    return tmp_path
