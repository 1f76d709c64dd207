"""What was built: version, source revision and build date, shown by ``--version`` and
``saas_exporter_build_info``.

An image or wheel build writes ``build.json`` beside this module (the Dockerfile does,
from its REVISION and BUILD_DATE build arguments); a source checkout reads its revision
from git once; otherwise both are "unknown".
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import __version__

BUILD_FILE = Path(__file__).with_name("build.json")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class BuildInfo:
    version: str
    revision: str
    build_date: str

    def text(self) -> str:
        """``--version``, in the layout of Prometheus's own."""
        return (
            f"saas-exporter, version {self.version} (revision: {self.revision})\n"
            f"  build date:       {self.build_date}\n"
            f"  python version:   {platform.python_version()}"
        )


def _git_revision() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else UNKNOWN


@functools.cache
def build_info() -> BuildInfo:
    try:
        recorded = json.loads(BUILD_FILE.read_text())
    except (OSError, ValueError):
        recorded = {}
    return BuildInfo(
        version=__version__,
        revision=str(recorded.get("revision") or _git_revision()),
        build_date=str(recorded.get("build_date") or UNKNOWN),
    )
