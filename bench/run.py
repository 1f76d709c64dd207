"""Runs every benchmark in bench/ and prints its figures (not a test: nothing is asserted)."""

import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
for script in sorted(here.glob("*.py")):
    if script.name in ("run.py", "__init__.py"):
        continue
    print(f"\n## {script.stem}\n", flush=True)
    sys.argv = [str(script)]
    runpy.run_path(str(script), run_name="__main__")
