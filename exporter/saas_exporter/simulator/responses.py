"""A canned HTTP response and JSON:API error bodies shaped like the recorded ones."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

# A key holding this word answers 401 on every fake API, as a revoked key does at the
# vendor: key-rotation drills swap it for a good one (pk_sim_..., sim_...).
REVOKED_KEY_MARK = "revoked"


def is_revoked(key: str) -> bool:
    return REVOKED_KEY_MARK in key


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, content_type: str, headers=None) -> Response:
    return Response(
        status, json.dumps(payload).encode(), {"content-type": content_type, **(headers or {})}
    )


def jsonapi_error(status: int, code: str, title: str, detail: str, headers=None) -> Response:
    error = {
        "id": str(uuid.uuid4()),
        "status": status,
        "code": code,
        "title": title,
        "detail": detail,
        "source": {"pointer": "/data/"},
    }
    return json_response(status, {"errors": [error]}, "application/vnd.api+json", headers)


def html_response(status: int, title: str, headers=None) -> Response:
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1></body></html>"
    )
    return Response(
        status, page.encode(), {"content-type": "text/html; charset=UTF-8", **(headers or {})}
    )
