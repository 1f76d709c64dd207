"""One thing to probe: a vendor, an account (or none, for the status page), a probe name."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import AccountConfig, ExporterConfig, VendorConfig


@dataclass(frozen=True)
class ProbeTarget:
    vendor: VendorConfig
    account: AccountConfig | None
    probe: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.vendor.name, self.account.name if self.account else "", self.probe)

    @property
    def interval_seconds(self) -> float:
        return self.vendor.intervals[self.probe]

    def __repr__(self) -> str:  # never print the account's key
        return f"ProbeTarget{self.key}"


def targets_for(config: ExporterConfig) -> list[ProbeTarget]:
    targets = []
    for vendor in config.vendors:
        if vendor.statuspage_url:
            targets.append(ProbeTarget(vendor, None, "statuspage"))
        for account in vendor.accounts:
            for probe in vendor.kind_spec.account_probes:
                targets.append(ProbeTarget(vendor, account, probe))
    return targets
