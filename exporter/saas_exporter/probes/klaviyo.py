"""Klaviyo probes: identity (GET /api/accounts/) and rate-limit headroom (GET /api/profiles/)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from .http import failed, fetch_200, json_body
from .result import AccountIdentity, ProbeResult
from .target import ProbeTarget
from .text import DEFAULT_MAX_LABEL_LENGTH, vendor_text


def request_headers(target: ProbeTarget) -> dict[str, str]:
    assert target.account is not None
    headers = {
        "authorization": f"Klaviyo-API-Key {target.account.api_key}",
        "accept": "application/vnd.api+json",
    }
    revision_header = target.vendor.kind_spec.revision_header
    if target.vendor.revision and revision_header:
        headers[revision_header] = target.vendor.revision
    return headers


# One profile is enough to read the rate-limit headers.
PROFILES_PARAMS = {"page[size]": "1"}


def endpoint_url(target: ProbeTarget) -> str:
    """The probe's endpoint, from the catalog's request."""
    return target.vendor.api_url + target.vendor.kind_spec.probes[target.probe].path


def parse_account(body: Any, max_label_length: int = DEFAULT_MAX_LABEL_LENGTH) -> AccountIdentity:
    """The one account a private key belongs to; ValueError names the bad field."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON:API document (an object)")
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise ValueError(f"data: expected a non-empty list of accounts, got {_kind(data)}")
    first = data[0]
    if not isinstance(first, dict):
        raise ValueError(f"data[0]: expected an account object, got {_kind(first)}")
    if first.get("type") != "account":
        got = vendor_text(repr(first.get("type")), 60)
        raise ValueError(f"data[0].type: expected 'account', got {got}")
    account_id = first.get("id")
    if not isinstance(account_id, str) or not account_id:
        raise ValueError(f"data[0].id: expected a non-empty string, got {_kind(account_id)}")
    attributes = first.get("attributes")
    test_account = attributes.get("test_account") if isinstance(attributes, dict) else None
    return AccountIdentity(
        vendor_text(account_id, max_label_length),
        test_account if isinstance(test_account, bool) else None,
    )


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


async def probe_accounts(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    result, response = await fetch_200(
        client,
        endpoint_url(target),
        request_headers(target),
        target.vendor.timeout_seconds,
        # Klaviyo documents an invalid or missing key as a 400 too, on this endpoint.
        auth_on_400=True,
        limits=target.vendor.limits,
    )
    if response is None:
        return result
    try:
        identity = parse_account(json_body(response), target.vendor.limits.max_label_length)
    except ValueError as err:
        return failed(result, "invalid_response", f"200: {err}")
    result = replace(result, account=identity)
    expected = target.account.expected_account_id if target.account else None
    if expected and identity.account_id != expected:
        return failed(
            result,
            "account_mismatch",
            f"the key answers for account {identity.account_id}, expected {expected}",
        )
    return replace(result, success=True)


async def probe_profiles(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    result, response = await fetch_200(
        client,
        endpoint_url(target),
        request_headers(target),
        target.vendor.timeout_seconds,
        params=PROFILES_PARAMS,
        limits=target.vendor.limits,
    )
    if response is None:
        return result
    try:
        body = json_body(response)
    except ValueError as err:
        return failed(result, "invalid_response", f"200: {err}")
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return failed(result, "invalid_response", "200: data: expected a list of profiles")
    return replace(result, success=True)
