"""What a maintenance silence is: its matchers, its window, its creator and comment.

A silence matches only what an announced vendor maintenance explains:
- ``vendor``: the vendor that announced it;
- ``cause="vendor"``: alerts the cause rule puts on the vendor's side;
- ``silenceable_by="vendor_maintenance"``: the rule pack puts this label on the alerts a
  vendor maintenance may silence, never on a rejected key, a wrong account or a
  monitoring gap (rules/thresholds.yaml, `silenced_by_maintenance`), so those page
  whatever their cause says;
- ``component``: the affected components, plus alerts without a component (the API's)
  when the maintenance touches the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

CREATOR = "saas-exporter silences sync"
# The label the rule pack renders on every alert a vendor maintenance may silence.
SILENCEABLE_LABEL = "silenceable_by"
SILENCEABLE_VALUE = "vendor_maintenance"
VENDOR_CAUSE = "vendor"
# Ends every managed silence's comment: which maintenance the silence belongs to.
_MARKER = re.compile(r"\[saas-exporter maintenance (?P<vendor>[^/\]\s]+)/(?P<id>[^\]]+)\]$")
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def marker(vendor: str, maintenance_id: str) -> str:
    return f"[saas-exporter maintenance {vendor}/{maintenance_id.replace(']', ')')}]"


def key_of(comment: str) -> tuple[str, str] | None:
    """(vendor, maintenance id) of a managed silence's comment, None for any other."""
    found = _MARKER.search(comment.strip())
    return (found["vendor"], found["id"]) if found else None


def regex_literal(text: str) -> str:
    """`text` as a literal in an (RE2, anchored) Alertmanager regex matcher."""
    return _RE2_SPECIAL.sub(r"\\\1", text)


def rfc3339(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True, order=True)
class Matcher:
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def to_api(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }

    @classmethod
    def from_api(cls, raw: dict) -> Matcher:
        return cls(
            str(raw["name"]),
            str(raw["value"]),
            bool(raw.get("isRegex", False)),
            bool(raw.get("isEqual", True)),
        )

    def __str__(self) -> str:
        op = (
            ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        )
        return f'{self.name}{op}"{self.value}"'


@dataclass(frozen=True)
class DesiredSilence:
    """The silence one announced maintenance calls for."""

    vendor: str
    maintenance_id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    comment: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.vendor, self.maintenance_id)

    def to_api(self, silence_id: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "matchers": [m.to_api() for m in self.matchers],
            "startsAt": rfc3339(self.starts_at),
            "endsAt": rfc3339(self.ends_at),
            "createdBy": CREATOR,
            "comment": self.comment,
        }
        if silence_id:
            body["id"] = silence_id
        return body


@dataclass(frozen=True)
class ExistingSilence:
    """A silence as Alertmanager lists it."""

    id: str
    state: str  # active | pending | expired
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str

    @classmethod
    def from_api(cls, raw: dict) -> ExistingSilence:
        return cls(
            id=str(raw["id"]),
            state=str(raw.get("status", {}).get("state", "")),
            matchers=tuple(sorted(Matcher.from_api(m) for m in raw.get("matchers", []))),
            starts_at=parse_time(raw["startsAt"]),
            ends_at=parse_time(raw["endsAt"]),
            created_by=str(raw.get("createdBy", "")),
            comment=str(raw.get("comment", "")),
        )

    @property
    def managed_key(self) -> tuple[str, str] | None:
        """The maintenance this silence belongs to, if `silences sync` manages it."""
        if self.created_by != CREATOR or self.state not in ("active", "pending"):
            return None
        return key_of(self.comment)
