"""The landing page: each vendor and account from the /health body, hostile text escaped,
a stale account id marked as such."""

from __future__ import annotations

from saas_exporter.web.landing import render_landing

HEALTH = {
    "status": "down",
    "timestamp": "2026-11-22T10:55:32Z",
    "services": {
        "klaviyo": {
            "status": "down",
            "accounts": {
                "main": {
                    "status": "down",
                    "latencyMs": 182,
                    "accountId": "WBhXHN",
                    "error": "auth: 401 <script>alert(1)</script>",
                    "accountIdConfirmedAt": "2026-11-22T10:43:32Z",
                },
                "eu": {
                    "status": "healthy",
                    "latencyMs": 90,
                    "accountId": "EU0001",
                    "error": None,
                    "accountIdConfirmedAt": "2026-11-22T10:55:02Z",
                },
            },
            "statusPage": {
                "reachable": True,
                "indicator": "minor",
                "description": "Partial outage",
                "incidents": [
                    {"name": "Delays", "impact": "minor", "status": "investigating",
                     "url": "https://status.example/i/1"}
                ],
                "error": None,
            },
        },
        "clay": {
            "status": "healthy",
            "accounts": {
                "main": {"status": "healthy", "latencyMs": 40, "accountId": None,
                         "error": None, "accountIdConfirmedAt": None},
            },
            "statusPage": {"reachable": False, "indicator": None, "description": None,
                           "incidents": [], "error": "HTTP 503"},
        },
    },
}  # fmt: skip


def test_every_account_and_status_page_is_shown():
    page = render_landing(HEALTH, "/metrics", (("simulator", "http://127.0.0.1:9880/"),))
    assert page.count("<tr><td>klaviyo</td><td>main</td>") == 1
    assert page.count("<tr><td>klaviyo</td><td>eu</td>") == 1
    assert page.count("<tr><td>clay</td><td>main</td>") == 1
    assert "2 vendors, 3 accounts, as of" in page
    assert '<a href="https://status.example/i/1">Delays</a>' in page
    assert '<a href="http://127.0.0.1:9880/">simulator</a>' in page
    assert '<a href="metrics">/metrics</a>' in page


def test_a_failing_account_s_id_says_how_old_it_is():
    page = render_landing(HEALTH, "/metrics")
    assert 'WBhXHN <span class="muted">(last confirmed 12 min ago)</span>' in page
    assert "EU0001</td>" in page  # healthy: no age needed


def test_vendor_text_is_escaped():
    page = render_landing(HEALTH, "/metrics")
    assert "<script>" not in page
    assert "auth: 401 &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_unreachable_status_page_says_why():
    page = render_landing(HEALTH, "/metrics")
    assert '>unreachable</span></td><td><span class="error">HTTP 503</span>' in page
