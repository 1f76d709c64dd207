"""Where the repository's files are: the tools that need them take its path.

The drill and the test stack read the rule pack (`rules/*.rules.yaml`) and the shipped
Alertmanager config (`alertmanager/`), the pack's generator its table and outputs;
installed from a wheel they have no checkout beside them, so the path comes from a flag
(`--repo`, `--root`), else the current directory, else the checkout an editable install
runs from, else a one-line error naming the flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RULE_FILE_GLOB = "*.rules.yaml"
# The checkout this module lives in, when it is one (an editable install).
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


class CheckoutNotFound(ValueError):
    """No repository with the rule pack and the Alertmanager config where we looked."""


@dataclass(frozen=True)
class Checkout:
    root: Path

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def alertmanager_config(self) -> Path:
        return self.root / "alertmanager" / "alertmanager.yml"

    def rule_files(self) -> list[Path]:
        """The generated rule files, in a stable order."""
        return sorted(self.rules_dir.glob(RULE_FILE_GLOB))

    def missing(self) -> list[str]:
        """What this directory lacks to be a checkout the tools can use."""
        problems = []
        if not self.rule_files():
            problems.append(f"no {RULE_FILE_GLOB} in {self.rules_dir}")
        if not self.alertmanager_config.is_file():
            problems.append(f"no {self.alertmanager_config}")
        return problems


def default_root(is_root: Callable[[Path], bool]) -> Path | None:
    """The current directory, else the checkout this code runs from (an editable
    install), whichever `is_root` accepts first; None when neither is."""
    return next((root for root in (Path.cwd(), _SOURCE_ROOT) if is_root(root)), None)


def find_checkout(explicit: Path | None = None, flag: str = "--repo") -> Checkout:
    """`explicit`, else `default_root`'s checkout with the rule pack and the
    Alertmanager config; CheckoutNotFound (one line, naming `flag`) if none."""
    if explicit is not None:
        checkout = Checkout(explicit.resolve())
        problems = checkout.missing()
        if problems:
            raise CheckoutNotFound(
                f"{flag} {explicit}: not a saas-exporter checkout ({'; '.join(problems)})"
            )
        return checkout
    root = default_root(lambda root: not Checkout(root).missing())
    if root is None:
        raise CheckoutNotFound(
            f"no saas-exporter checkout here ({Path.cwd()}) to read rules/{RULE_FILE_GLOB} "
            f"and alertmanager/alertmanager.yml from: run from a checkout or pass {flag} DIR"
        )
    return Checkout(root)
