"""Fake Klaviyo API: /api/accounts/ and /api/profiles/, true to the recorded formats."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from .responses import Response, html_response, is_revoked, json_response, jsonapi_error
from .scenarios import ScenarioState

JSONAPI = "application/vnd.api+json"
SIM_KEY_PREFIX = "pk_sim_"
DEFAULT_ACCOUNT_ID = "SIM001"
# (burst per second, steady per minute), as Klaviyo's XS and L tiers.
TIERS = {"accounts": (1, 15), "profiles": (75, 750)}
LOW_HEADROOM_REMAINING = 2


def account_id_for(key: str) -> str:
    """``pk_sim_ACME01`` answers for account ACME01; any other pk_ key for SIM001."""
    if key.startswith(SIM_KEY_PREFIX) and key[len(SIM_KEY_PREFIX) :].isalnum():
        return key[len(SIM_KEY_PREFIX) :][:64]
    return DEFAULT_ACCOUNT_ID


class BurstWindows:
    """Fixed one-second windows per key and endpoint, as the recorded headers track."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}

    def take(self, key: str, endpoint: str) -> tuple[int, float]:
        now = self.clock()
        second = int(now)
        with self._lock:
            start, used = self._windows.get((key, endpoint), (second, 0))
            if start != second:
                start, used = second, 0
            used += 1
            self._windows[(key, endpoint)] = (start, used)
        burst, _ = TIERS[endpoint]
        return max(0, burst - used), 0.0


def _authenticate(headers: Mapping[str, str]) -> tuple[str | None, Response | None]:
    auth = headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    if scheme != "Klaviyo-API-Key" or not key:
        return None, jsonapi_error(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.",
            {"www-authenticate": "Klaviyo-API-Key"},
        )
    if not key.startswith("pk_") or is_revoked(key):
        return None, jsonapi_error(
            401,
            "authentication_failed",
            "Incorrect authentication credentials.",
            "Incorrect authentication credentials.",
        )
    if not headers.get("revision"):
        return None, jsonapi_error(
            400, "invalid", "Invalid input.", "The revision header is missing from the request."
        )
    return key, None


def _scenario_failure(scenario: ScenarioState) -> Response | None:
    name = scenario.name
    if name == "auth_failure":
        return jsonapi_error(
            401,
            "authentication_failed",
            "Incorrect authentication credentials.",
            "Incorrect authentication credentials.",
        )
    if name == "forbidden":
        return jsonapi_error(
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
            "This API key is missing required scopes.",
        )
    if name == "cloudflare_challenge":
        return html_response(
            403, "Just a moment...", {"cf-mitigated": "challenge", "server": "cloudflare"}
        )
    if name == "rate_limited":
        seconds = scenario.retry_after_seconds
        unit = "second" if seconds == 1 else "seconds"
        return jsonapi_error(
            429,
            "throttled",
            "Request was throttled.",
            f"Request was throttled. Expected available in {seconds} {unit}.",
            {"retry-after": str(seconds)},
        )
    if name == "outage_5xx":
        return jsonapi_error(500, "error", "A server error occurred.", "A server error occurred.")
    if name == "vendor_incident":
        return html_response(503, "503 Service Temporarily Unavailable")
    return None


def _ratelimit_headers(endpoint: str, remaining: int, reset: float) -> dict[str, str]:
    burst, steady = TIERS[endpoint]
    return {
        "ratelimit-limit": f"{burst}, {burst};w=1, {steady};w=60",
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": f"{reset:g}",
    }


def _account_document(account_id: str, base: str) -> dict:
    return {
        "data": [
            {
                "type": "account",
                "id": account_id,
                "attributes": {
                    "test_account": account_id.startswith("TEST"),
                    "contact_information": {
                        "default_sender_name": "Simulated Org",
                        "default_sender_email": "sim@example.com",
                        "website_url": "https://www.example.com",
                        "organization_name": "Simulated Org",
                        "street_address": {
                            "address1": "1 Example Street",
                            "address2": None,
                            "city": "Copenhagen",
                            "region": None,
                            "country": "Denmark",
                            "zip": "2300",
                        },
                    },
                    "industry": "Software / SaaS",
                    "timezone": "Europe/Copenhagen",
                    "preferred_currency": "DKK",
                    "public_api_key": "SimPub",
                    "locale": "en-US",
                },
                "links": {"self": f"{base}/api/accounts/{account_id}/"},
            }
        ],
        "links": {"self": f"{base}/api/accounts", "next": None, "prev": None},
    }


def _profiles_document(base: str) -> dict:
    return {
        "data": [
            {
                "type": "profile",
                "id": "01SIMPROFILE0000000000000",
                "attributes": {"email": "someone@example.com", "first_name": "Sam"},
                "links": {"self": f"{base}/api/profiles/01SIMPROFILE0000000000000/"},
            }
        ],
        "links": {"self": f"{base}/api/profiles/?page[size]=1", "next": None, "prev": None},
    }


def handle(
    endpoint: str,
    headers: Mapping[str, str],
    scenario: ScenarioState,
    windows: BurstWindows,
    base_url: str,
    sleep=time.sleep,
) -> Response:
    key, problem = _authenticate(headers)
    if problem:
        return problem
    assert key is not None
    scenario = scenario.for_account(account_id_for(key))
    failure = _scenario_failure(scenario)
    if failure:
        return failure
    if scenario.name == "slow":
        sleep(scenario.delay_seconds)
    remaining, reset = windows.take(key, endpoint)
    if scenario.name == "low_headroom":
        remaining = min(remaining, LOW_HEADROOM_REMAINING)
    document = (
        _account_document(account_id_for(key), base_url)
        if endpoint == "accounts"
        else _profiles_document(base_url)
    )
    return json_response(200, document, JSONAPI, _ratelimit_headers(endpoint, remaining, reset))
