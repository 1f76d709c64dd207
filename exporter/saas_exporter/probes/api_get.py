"""The api probe of the clay and generic kinds: one authenticated GET, checked by config.

Which header carries the key, the path, the expected status, vendor-specific
rate-limit header names and an optional JSON field all come from ``vendors[].api``;
a kind adds only the statuses that mean something special for it (Clay's 402).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from .http import (
    base_result,
    classify_status,
    exchange,
    failed,
    http_failure,
    json_body,
    throttle_evidence,
)
from .result import AccountIdentity, ProbeResult
from .target import ProbeTarget
from .text import vendor_text


def lookup_field(body: Any, path: str) -> Any:
    """The value at a dotted path (``data.0.id``); ValueError names where it stopped."""
    value = body
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            where = ".".join(walked) or "the top level"
            raise ValueError(f"{path}: expected in the JSON body, but {where} has no {part!r}")
        walked.append(part)
    if value is None:
        raise ValueError(f"{path}: expected a value, got null")
    return value


def request_headers(target: ProbeTarget) -> dict[str, str]:
    api, account = target.vendor.api, target.account
    assert api is not None and account is not None
    return {
        "accept": "application/json",
        **api.headers,
        api.auth_header: api.auth_value(account.api_key),
    }


def _check_body(result: ProbeResult, target: ProbeTarget, response: httpx.Response) -> ProbeResult:
    api = target.vendor.api
    assert api is not None
    if not api.json_field and not api.account_id_field:
        return replace(result, success=True)
    try:
        body = json_body(response)
        if api.json_field:
            lookup_field(body, api.json_field)
        if api.account_id_field:
            value = lookup_field(body, api.account_id_field)
            if isinstance(value, dict | list):
                raise ValueError(
                    f"{api.account_id_field}: expected an id (string or number), "
                    f"got {type(value).__name__}"
                )
            account_id = vendor_text(value, target.vendor.limits.max_label_length)
            result = replace(result, account=AccountIdentity(account_id, None))
    except ValueError as err:
        return failed(result, "invalid_response", f"{response.status_code}: {err}")
    expected = target.account.expected_account_id if target.account else None
    if expected and result.account and result.account.account_id != expected:
        return failed(
            result,
            "account_mismatch",
            f"the key answers for account {result.account.account_id}, expected {expected}",
        )
    return replace(result, success=True)


async def probe_api(target: ProbeTarget, client: httpx.AsyncClient) -> ProbeResult:
    """The api_get protocol (clay, generic): the kind's status_reasons name its own
    statuses (Clay's 402: credits_exhausted)."""
    status_reasons = target.vendor.kind_spec.status_reasons
    api = target.vendor.api
    assert api is not None
    ex = await exchange(
        client,
        f"{target.vendor.api_url}{api.path}",
        request_headers(target),
        target.vendor.timeout_seconds,
        limits=target.vendor.limits,
    )
    result = base_result(ex, read_rate_limits=True, ratelimit_names=api.ratelimit_headers)
    response = ex.response
    if response is None:
        return result
    status = response.status_code
    if status in status_reasons:
        return http_failure(result, response, status_reasons[status])
    if status not in api.expected_status:
        reason = classify_status(
            response, auth_on_400=False, throttled=throttle_evidence(response, result)
        )
        if reason is None or (reason == "invalid_response" and not response.is_redirect):
            expected = " or ".join(map(str, api.expected_status))
            return failed(result, "invalid_response", f"{status}: expected {expected}")
        return http_failure(result, response, reason)
    return _check_body(result, target, response)
