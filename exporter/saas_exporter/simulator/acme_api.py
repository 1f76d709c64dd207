"""Fake "Acme" API: a generic vendor (``Authorization: Bearer <key>``, its own rate-limit
header names), for the ``generic`` kind. Any GET path under ``/acme`` answers."""

from __future__ import annotations

from .plain_api import PlainApi

PREFIX = "/acme"
SIM_KEY_PREFIX = "acme_sim_"


def _document(account_id: str, base_url: str) -> dict:
    return {
        "user": {"id": "usr_sim", "email": "sim@example.com"},
        "account": {"id": account_id, "plan": "growth"},
        "links": {"self": f"{base_url}{PREFIX}/v1/me"},
    }


ACME = PlainApi(
    vendor="acme",
    auth_header="authorization",
    auth_prefix="Bearer ",
    key_prefix=SIM_KEY_PREFIX,
    default_account_id="ACME00",
    ratelimit_names=("x-acme-quota-limit", "x-acme-quota-remaining", "x-acme-quota-reset"),
    limit_per_minute=120,
    document=_document,
)
