"""`saas-exporter preflight`: the production checklist's pre-flight, one call per endpoint.

Exit codes: 0 every check passed, 1 at least one failed, 3 warnings only (CI/CD may
gate a deploy on 0, or on 0 and 3), 2 usage error (flags, a config file that cannot be
read, unknown --vendor). An invalid config is a failed check (exit 1): it is what a
pre-flight is for.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..config import ConfigError
from ..wording import plural
from .common import config_source, select_vendors
from .frame import Command, Context, common_flags, paint, vendor_flag
from .preflight_checks import Check, run_checks

EXIT_FAIL = 1
EXIT_WARN = 3
_RANK = {"pass": 0, "warn": 1, "fail": 2}


def exit_code(checks: Sequence[Check]) -> int:
    worst = max((_RANK[c.status] for c in checks), default=0)
    return {0: 0, 1: EXIT_WARN, 2: EXIT_FAIL}[worst]


@dataclass(frozen=True)
class PreflightReport:
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def to_json(self) -> dict[str, Any]:
        status = {0: "pass", EXIT_WARN: "warn", EXIT_FAIL: "fail"}[self.exit_code]
        return {
            "status": status,
            "exit_code": self.exit_code,
            "checks": [asdict(c) for c in self.checks],
        }

    def to_text(self, colour: bool) -> str:
        tint = {"pass": "green", "warn": "yellow", "fail": "red"}
        lines = []
        for c in self.checks:
            where = "/".join(x for x in (c.vendor, c.account) if x) or "config"
            lines.append(
                f"{paint(c.status.upper(), tint[c.status], colour)}  {where:<20} "
                f"{c.check:<20} {c.detail}"
            )
        code = self.exit_code
        summary = {0: "all checks passed", EXIT_WARN: "warnings only", EXIT_FAIL: "FAILED"}[code]
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "warn", "fail")}
        lines.append(
            f"preflight: {summary} ({counts['pass']} passed, {counts['warn']} warnings, "
            f"{counts['fail']} failed; exit {code})"
        )
        return "\n".join(lines) + "\n"


def gather(args: argparse.Namespace, context: Context) -> PreflightReport:
    source = config_source(args)
    source.require_readable()
    try:
        config = source.load()
    except ConfigError as error:
        # An invalid config is what a pre-flight is for: a failed check, not a usage error.
        return PreflightReport(
            tuple(Check("", "", "config", "fail", problem) for problem in error.problems)
        )
    vendors = select_vendors(config, args.vendor)
    accounts = sum(len(v.accounts) for v in vendors)
    valid = Check(
        "",
        "",
        "config",
        "pass",
        f"{source.label}: valid; {plural(len(vendors), 'vendor')}, "
        f"{plural(accounts, 'account')}, "
        "keys from files or the environment only",
    )
    return PreflightReport((valid, *run_checks(config, vendors, context.clock)))


COMMAND = Command(
    name="preflight",
    summary="before a deploy: is every vendor, key, scope and budget ready? "
    "(exit 0 pass, 1 fail, 3 warnings only)",
    description="Pre-deploy checks: status page, key authenticates for the expected "
    "account, scopes, rate-limit headroom, API revision, config sanity. Calls each vendor "
    "endpoint once. Exit 0 all passed, 1 a failure (an invalid config included), "
    "3 warnings only, 2 usage error (flags, unreadable config file, unknown --vendor).",
    parents=lambda: (common_flags(), vendor_flag()),
    gather=gather,
)
run = COMMAND.run
