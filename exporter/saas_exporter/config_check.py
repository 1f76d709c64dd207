"""`--config.check`: validate a config and exit, all at once or in two halves.

- `all` (the default): structure, budget and keys, as the exporter loads them at start;
- `structure`: structure and budget without reading any key, for CI before the secrets
  exist;
- `keys`: only the keys: each account's key file or variable is read and shape-checked,
  on the host that has them.
"""

from __future__ import annotations

import sys
from typing import TextIO

from .config import ConfigError, key_problems, load_config
from .config.accounts_dir import AccountFiles
from .wording import plural

CHECKS = ("all", "structure", "keys")
EXIT_INVALID = 2


def check_config(path: str, what: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Prints OK and what was checked (exit 0), or every problem with its path (exit 2)."""
    # Resolved per call, not at import: sys.stdout/stderr may have been replaced since.
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if what == "keys":
            problems, sources = key_problems(path)
            if problems:
                raise ConfigError(problems)
            files = sum(1 for s in sources if s.startswith("file "))
            print(
                f"{path}: keys OK ({plural(len(sources), 'key')} read: "
                f"{plural(files, 'file')}, "
                f"{plural(len(sources) - files, 'environment variable')})",
                file=out,
            )
            return 0
        account_files = AccountFiles()
        config = load_config(path, keys=what == "all", files=account_files)
        if account_files.refused:  # the exporter would run without them: a check fails
            raise ConfigError(account_files.problems())
    except ConfigError as error:
        print(f"saas-exporter: invalid config {path}:", file=err)
        for problem in error.problems:
            print(f"  {problem}", file=err)
        return EXIT_INVALID
    vendors = plural(len(config.vendors), "vendor")
    accounts = plural(sum(len(v.accounts) for v in config.vendors), "account")
    if what == "structure":
        print(f"{path}: structure and budget OK ({vendors}, {accounts}; keys not read)", file=out)
    else:
        print(f"{path}: OK ({vendors}, {accounts})", file=out)
    return 0
