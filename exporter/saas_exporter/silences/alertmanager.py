"""Alertmanager's v2 silence API: list, create or update, expire."""

from __future__ import annotations

import httpx

from ..probes.http import USER_AGENT
from ..redaction import redact
from .model import DesiredSilence, ExistingSilence


class AlertmanagerError(Exception):
    """Alertmanager could not be reached or refused a request; the message says which."""


class Alertmanager:
    def __init__(self, url: str, client: httpx.Client, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = client
        self._timeout = timeout

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        url = f"{self.url}{path}"
        try:
            response = self._client.request(
                method, url, headers={"user-agent": USER_AGENT}, timeout=self._timeout, **kwargs
            )
        except httpx.HTTPError as err:
            raise AlertmanagerError(
                redact(f"{method} {url}: {type(err).__name__}: {err}")
            ) from None
        if response.status_code >= 300:
            text = " ".join(response.text.split())[:300]
            raise AlertmanagerError(redact(f"{method} {url}: HTTP {response.status_code}: {text}"))
        return response

    def silences(self) -> list[ExistingSilence]:
        body = self._request("GET", "/api/v2/silences").json()
        if not isinstance(body, list):
            raise AlertmanagerError(f"GET {self.url}/api/v2/silences: expected a list")
        try:
            return [ExistingSilence.from_api(raw) for raw in body]
        except (KeyError, TypeError, ValueError) as err:
            raise AlertmanagerError(
                f"GET {self.url}/api/v2/silences: unexpected silence ({err})"
            ) from None

    def put(self, silence: DesiredSilence, silence_id: str | None = None) -> str:
        """Creates the silence, or updates `silence_id` (Alertmanager may expire it and
        create a new one); returns the id it now has."""
        body = self._request("POST", "/api/v2/silences", json=silence.to_api(silence_id)).json()
        return str(body.get("silenceID", "")) if isinstance(body, dict) else ""

    def expire(self, silence_id: str) -> None:
        self._request("DELETE", f"/api/v2/silence/{silence_id}")
