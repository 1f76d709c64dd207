#!/usr/bin/env bash
# Creates .venv from the pinned lock files. Idempotent: a stamp file records the
# lock contents, so a second run is a no-op until a lock changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.installed
want=$(cat requirements.lock requirements-dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "saas-exporter needs Python >= 3.11")'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# --no-compile: Python compiles what is imported when it is; compiling every module of
# every package up front (the SDKs are large) is a quarter of the install's time.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e .
echo "$want" > "$stamp"
