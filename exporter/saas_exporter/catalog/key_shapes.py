"""Key shapes a kind's keys must have (the catalog names one per kind).

Each check returns what is wrong with a key, or None; it never echoes the key.
"""

from __future__ import annotations

from collections.abc import Callable


def klaviyo_private_key(key: str) -> str | None:
    if len(key) == 6 and not key.startswith("pk_"):
        return (
            "this is a 6-character public key (site id), which only works on client "
            "endpoints; the probes need a private API key starting with pk_"
        )
    if not key.startswith("pk_"):
        return "expected a Klaviyo private API key starting with pk_"
    if any(c.isspace() for c in key):
        return "the key contains white space; expected a single pk_ token"
    return None


def opaque_token(key: str) -> str | None:
    """Keys with no documented shape: one token, no white space."""
    if any(c.isspace() for c in key):
        return "the key contains white space; expected a single token"
    return None


KEY_SHAPES: dict[str, Callable[[str], str | None]] = {
    "klaviyo_private_key": klaviyo_private_key,
    "opaque_token": opaque_token,
}
