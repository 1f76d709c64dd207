"""The /health body from known probe results: which account is down, and how fresh its id is."""

import pytest

from saas_exporter.health import compute_health
from saas_exporter.probes import targets_for
from saas_exporter.probes.result import AccountIdentity, ProbeResult
from saas_exporter.state import ResultStore
from tests.conftest import klaviyo_config

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ACC = ("klaviyo", "main", "accounts")
PROF = ("klaviyo", "main", "profiles")


def store_and_config():
    config = klaviyo_config("http://vendor.test", None)
    return config, ResultStore(targets_for(config))


def ok_identity(at: float) -> ProbeResult:
    return ProbeResult(True, 0.2, at, 200, account=AccountIdentity("WBhXHN", False))


def failed(at: float, status: int, reason: str, error: str) -> ProbeResult:
    return ProbeResult(False, 0.1, at, status, failure_reason=reason, error=error)


def health(config, store, now=T0 + 600):
    code, body = compute_health(config, store.states(), now)
    return code, body["status"], body["services"]["klaviyo"]


@pytest.mark.parametrize(
    ("reason", "status", "error"),
    [
        ("auth", 401, "Incorrect authentication credentials."),
        ("forbidden", 403, "This API key is missing required scopes."),
    ],
)
def test_a_key_rejected_by_the_headroom_probe_is_down_before_the_identity_probe_runs(
    reason, status, error
):
    config, store = store_and_config()
    store.record(ACC, ok_identity(T0))
    # The identity probe runs every 10 minutes; the headroom probe sees the revoked key first.
    store.record(PROF, failed(T0 + 30, status, reason, f"{status}: {error}"))
    code, top, klaviyo = health(config, store)
    assert (code, top, klaviyo["status"]) == (503, "down", "down")
    account = klaviyo["accounts"]["main"]
    assert account["error"] == f"profiles probe {reason}: {status}: {error}"
    # The id is the last one confirmed, with the time it was: ten minutes old by now.
    assert (account["accountId"], account["accountIdConfirmedAt"]) == (
        "WBhXHN",
        "2027-01-15T08:00:00Z",
    )
    assert (klaviyo["accountId"], klaviyo["accountIdConfirmedAt"]) == (
        "WBhXHN",
        "2027-01-15T08:00:00Z",
    )


def test_a_headroom_probe_failing_otherwise_only_degrades():
    config, store = store_and_config()
    store.record(ACC, ok_identity(T0))
    store.record(PROF, failed(T0 + 30, 500, "server_error", "500: A server error occurred."))
    code, top, klaviyo = health(config, store)
    assert (code, top, klaviyo["status"]) == (503, "degraded", "degraded")
    assert klaviyo["error"] == "profiles probe server_error: 500: A server error occurred."


def test_a_rejected_key_outranks_throttling_of_the_identity_probe():
    config, store = store_and_config()
    store.record(ACC, failed(T0, 429, "throttled", "429: Request was throttled."))
    store.record(PROF, failed(T0 + 30, 401, "auth", "401: Incorrect authentication credentials."))
    _, top, klaviyo = health(config, store)
    assert (top, klaviyo["error"]) == (
        "down",
        "profiles probe auth: 401: Incorrect authentication credentials.",
    )
    # Never confirmed: no id, no time.
    assert (klaviyo["accountId"], klaviyo["accountIdConfirmedAt"]) == (None, None)


def test_the_confirmation_time_moves_with_each_identity_answer():
    config, store = store_and_config()
    store.record(ACC, ok_identity(T0))
    store.record(ACC, failed(T0 + 600, 503, "server_error", "503: HTML page instead of JSON"))
    store.record(ACC, ok_identity(T0 + 1200))
    store.record(PROF, ProbeResult(True, 0.1, T0 + 1210, 200))
    code, top, klaviyo = health(config, store, now=T0 + 1215)
    assert (code, top, klaviyo["error"]) == (200, "healthy", None)
    assert klaviyo["accountIdConfirmedAt"] == "2027-01-15T08:20:00Z"
