"""The landing page: every vendor and account at a glance, an HTML view of /health.

Everything shown comes from the /health body (so both always agree; its texts are
redacted where they are made, as for /health itself) and is HTML-escaped: error texts
and status-page descriptions come from vendors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from importlib import metadata
from typing import Any

from .. import __version__
from ..wording import plural

REFRESH_SECONDS = 15
COLOURS = {"healthy": "#1a7f37", "degraded": "#9a6700", "down": "#cf222e"}
INDICATOR_COLOURS = {"none": "#1a7f37", "maintenance": "#0969da", "minor": "#9a6700"}
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328;max-width:72rem}
h1{font-size:1.4rem;margin:0 0 .2rem} h2{font-size:1.1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.35rem .6rem;
border-bottom:1px solid #d0d7de;vertical-align:top} th{background:#f6f8fa}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;color:#fff;
font-weight:600;font-size:.85rem} .muted{color:#59636e} .error{color:#cf222e}
nav a{margin-right:1rem}
"""


def project_urls() -> dict[str, str]:
    """The package's Project-URL entries (label -> URL), empty when not installed."""
    try:
        entries = metadata.metadata("saas-exporter").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    return dict(
        (label.strip(), url.strip()) for label, _, url in (e.partition(",") for e in entries)
    )


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{escape(text)}</span>'


def _ago(iso: str | None, now: datetime) -> str:
    if not iso:
        return "never"
    then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    seconds = max(0, round((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _text(value: Any) -> str:
    return escape(str(value)) if value not in (None, "") else ""


def _account_rows(vendor: str, service: dict[str, Any], now: datetime) -> list[str]:
    rows = []
    for name, account in service.get("accounts", {}).items():
        status = account.get("status", "down")
        identity = _text(account.get("accountId")) or '<span class="muted">unknown</span>'
        confirmed = _ago(account.get("accountIdConfirmedAt"), now)
        if status != "healthy" and account.get("accountId"):
            # During an outage the id is the last one seen: say how old it is.
            identity += f' <span class="muted">(last confirmed {confirmed})</span>'
        latency = account.get("latencyMs")
        rows.append(
            "<tr>"
            f"<td>{escape(vendor)}</td><td>{escape(name)}</td>"
            f"<td>{_badge(status, COLOURS.get(status, '#59636e'))}</td>"
            f"<td>{identity}</td>"
            f"<td>{'' if latency is None else f'{latency} ms'}</td>"
            f"<td>{confirmed}</td>"
            f'<td class="error">{_text(account.get("error"))}</td>'
            "</tr>"
        )
    return rows


def _statuspage_row(vendor: str, page: dict[str, Any] | None) -> str:
    if page is None:
        return (
            f"<tr><td>{escape(vendor)}</td>"
            '<td colspan="3" class="muted">no status page configured</td></tr>'
        )
    if not page.get("reachable"):
        shown = _badge("unreachable", "#cf222e")
        detail = f'<span class="error">{_text(page.get("error"))}</span>'
    else:
        indicator = str(page.get("indicator") or "unknown")
        shown = _badge(indicator, INDICATOR_COLOURS.get(indicator, "#cf222e"))
        detail = _text(page.get("description"))
    incidents = page.get("incidents") or []
    listed = "".join(
        f'<li><a href="{_text(i.get("url"))}">{_text(i.get("name"))}</a> '
        f'<span class="muted">({_text(i.get("impact"))}, {_text(i.get("status"))})</span></li>'
        for i in incidents
    )
    return (
        f"<tr><td>{escape(vendor)}</td><td>{shown}</td><td>{detail}</td>"
        f"<td>{len(incidents)}{f'<ul>{listed}</ul>' if listed else ''}</td></tr>"
    )


def render_landing(
    health: dict[str, Any],
    telemetry_path: str,
    links: Sequence[tuple[str, str]] = (),
    docs_url: str | None = None,
) -> str:
    """The page for one /health body; `links` are extra (title, URL) pairs."""
    now = datetime.fromisoformat(str(health["timestamp"]).replace("Z", "+00:00"))
    services: dict[str, Any] = health.get("services", {})
    overall = str(health.get("status", "down"))
    accounts = [row for v, s in services.items() for row in _account_rows(v, s, now)]
    pages = [_statuspage_row(v, s.get("statusPage")) for v, s in services.items()]
    # Relative links, so the page works behind a path prefix too.
    nav = [
        (telemetry_path, telemetry_path.lstrip("/")),
        ("/health", "health"),
        ("/-/healthy", "-/healthy"),
        ("/-/ready", "-/ready"),
    ]
    anchors = [f'<a href="{escape(href)}">{escape(title)}</a>' for title, href in nav]
    if docs_url:
        anchors.append(f'<a href="{escape(docs_url)}">docs</a>')
    anchors += [f'<a href="{escape(url)}">{escape(title)}</a>' for title, url in links]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>saas-exporter: {escape(overall)}</title><style>{STYLE}</style></head>
<body>
<h1>saas-exporter {escape(__version__)} {_badge(overall, COLOURS.get(overall, "#59636e"))}</h1>
<p class="muted">{plural(len(services), "vendor")}, {plural(len(accounts), "account")}, as of
{escape(str(health["timestamp"]))} (the latest probe results; this page never calls a vendor,
and reloads every {REFRESH_SECONDS} s).</p>
<nav>{" ".join(anchors)}</nav>
<h2>Accounts</h2>
<table id="accounts"><thead><tr><th>vendor</th><th>account</th><th>status</th>
<th>account id</th><th>latency</th><th>id confirmed</th><th>error</th></tr></thead>
<tbody>{"".join(accounts)}</tbody></table>
<h2>Status pages</h2>
<table id="statuspages"><thead><tr><th>vendor</th><th>indicator</th><th>description</th>
<th>open incidents</th></tr></thead>
<tbody>{"".join(pages)}</tbody></table>
</body></html>
"""
