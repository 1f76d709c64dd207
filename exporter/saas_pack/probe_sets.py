"""The probe sets and reason lists alert rows select, rendered from the catalog.

A row of rules/thresholds.yaml never names a probe or a reason class: it selects
with placeholders (`$account_probes`, `$no_answer_reasons`, ...) and requires a probe
set (`requires_probe: latency`). Their values come from the vendor kinds of
saas_exporter.catalog, so a new kind (or a new probe of a kind) needs no edit here.
"""

from __future__ import annotations

from collections.abc import Mapping

from saas_exporter.catalog import STATUSPAGE_PROBE, Catalog, VendorKind

ANY_PROBE = "any"
# Set name -> what it holds.
PROBE_SETS: Mapping[str, str] = {
    ANY_PROBE: "every probe of the vendor",
    "account": "the per-account API probes (every probe but the status page)",
    "identity": "the probe that checks which account the key answers for",
    "latency": "the probes that run often enough for a latency percentile",
    "headroom": (
        "the probes whose rate-limit headers measure the account's headroom: a kind's "
        "account probes other than its identity probe, or the identity probe when it has "
        "no other (Klaviyo's identity endpoint has a 1/s burst window, so its remaining "
        "count is 0 after every call)"
    ),
    "statuspage": "the status-page probe",
}
# The sets a row's expression can select with `$<set>_probes` (`$statuspage_probe`).
SELECTABLE = ("account", "identity", "latency", "headroom")


def of_kind(kind: VendorKind, name: str) -> tuple[str, ...]:
    """The probes of one vendor kind in the set."""
    if name == ANY_PROBE:
        return tuple(kind.probes)
    if name == "account":
        return kind.account_probes
    if name == "identity":
        return (kind.identity_probe,)
    if name == "latency":
        return tuple(probe for probe, spec in kind.probes.items() if spec.latency_percentile)
    if name == "headroom":
        others = tuple(probe for probe in kind.account_probes if probe != kind.identity_probe)
        return others or (kind.identity_probe,)
    if name == "statuspage":
        return (STATUSPAGE_PROBE,) if STATUSPAGE_PROBE in kind.probes else ()
    raise KeyError(f"no probe set {name!r}")


def across_kinds(catalog: Catalog, name: str) -> tuple[str, ...]:
    """The set's probes over every kind, sorted (one regex for every vendor)."""
    return tuple(
        sorted({probe for kind in catalog.kinds.values() for probe in of_kind(kind, name)})
    )


def matcher(catalog: Catalog, name: str) -> str:
    """The PromQL matcher that keeps the set's series."""
    if name == "account":
        # Negative, so an account probe of a kind added later is still covered.
        return f'probe!="{STATUSPAGE_PROBE}"'
    if name == "statuspage":
        return f'probe="{STATUSPAGE_PROBE}"'
    return f'probe=~"{"|".join(across_kinds(catalog, name))}"'


def placeholders(catalog: Catalog) -> dict[str, str]:
    """Every catalog placeholder a row's expression may use, without the `$`.

    `<set>_probes` is a probe matcher; `<class>_reasons` is the `|`-joined reasons of
    a failure-reason class (for a `reason=~"..."` regex).
    """
    result = {f"{name}_probes": matcher(catalog, name) for name in SELECTABLE}
    result["statuspage_probe"] = matcher(catalog, "statuspage")
    classes: dict[str, list[str]] = {}
    for reason in catalog.failure_reasons.values():
        classes.setdefault(reason.reason_class, []).append(reason.name)
    result.update({f"{name}_reasons": "|".join(reasons) for name, reasons in classes.items()})
    return result
