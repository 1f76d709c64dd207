"""The cause rule of saas_exporter.cause as PromQL, rendered from its own constants.

`page_evidence()` is rules 1-3 (the status page, by API component); the vendor-wide
rule (4) is the condition of the table's vendor-wide row (its `cause.vendor_wide`),
which promql.py joins in. tests/test_cause_agreement.py runs the rendered expressions
on Prometheus against the same cases as the Python rule.
"""

from __future__ import annotations

from saas_exporter import cause

INDICATOR = "saas_statuspage_indicator"
COMPONENT = "saas_statuspage_component_status"
API_COMPONENT = "saas_statuspage_api_component_info"
PROBE_SUCCESS = "saas_probe_success"


def _regex(values: tuple[str, ...]) -> str:
    return "|".join(values)


def page_evidence(statuspage_probe: str) -> str:
    """1 per vendor whose readable status page puts the vendor on the hook (rules 1-3).

    `statuspage_probe` is the status-page probe's matcher (probe_sets): a page the
    exporter cannot read right now says nothing, though its last series linger.
    """
    api_statuses = _regex(cause.API_INCIDENT_STATUSES + cause.API_MAINTENANCE_STATUSES)
    fallback = _regex(cause.FALLBACK_INCIDENT_INDICATORS + cause.FALLBACK_MAINTENANCE_INDICATORS)
    listed_api = f"{COMPONENT} and on (vendor, component) {API_COMPONENT}"
    return (
        "max by (vendor) (\n"
        f'    {INDICATOR}{{indicator=~"{_regex(cause.VENDOR_INDICATORS)}"}} == 1\n'
        "  or\n"
        f'    ({COMPONENT}{{status=~"{api_statuses}"}} == 1\n'
        f"     and on (vendor, component) {API_COMPONENT})\n"
        "  or\n"
        f'    ({INDICATOR}{{indicator=~"{fallback}"}} == 1\n'
        f"     unless on (vendor) ({listed_api}))\n"
        ")\n"
        f"and on (vendor) (max by (vendor) ({PROBE_SUCCESS}{{{statuspage_probe}}}) == 1)"
    )
