"""Request path -> route template, so the `endpoint` label never carries an id.

Three layers, first match wins: the vendor's route table (`/api/profiles/{id}`), a
generic rule that keeps word-like segments and replaces every other segment with
`{id}`, and a hard cap on distinct templates per vendor beyond which everything is
`OTHER_ENDPOINT`. The cap is what makes cardinality bounded whatever the paths are.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

ID = "{id}"
OTHER_ENDPOINT = "{other}"
DEFAULT_MAX_ENDPOINTS = 200

# Kept as-is: lower-case words joined by - or _ (`profile-bulk-import-jobs`,
# `payment_intents`) and API versions (`v0`, `v2.1`). Anything else (digits, upper
# case, e-mail addresses, prefixed ids like `tbl_0t3x`) is treated as an id.
_WORD = re.compile(r"[a-z]+(?:[-_][a-z]+)*|v\d+(?:\.\d+)?")
_MAX_WORD_LENGTH = 40


class _Node:
    __slots__ = ("children", "template", "wildcard")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.wildcard: _Node | None = None
        self.template: str | None = None


class RouteTable:
    """Route templates such as `/api/profiles/{id}`; `{...}` matches one segment."""

    def __init__(self, templates: Iterable[str] = ()) -> None:
        self._root = _Node()
        for template in templates:
            self.add(template)

    def add(self, template: str) -> None:
        node = self._root
        for segment in _segments(template):
            if segment.startswith("{") and segment.endswith("}"):
                node.wildcard = node.wildcard or _Node()
                node = node.wildcard
            else:
                node = node.children.setdefault(segment, _Node())
        node.template = _join(_segments(template))

    def match(self, path: str) -> str | None:
        """The template `path` matches (literal segments beat `{id}`), or None."""
        return _match(self._root, _segments(path))


def _match(node: _Node, segments: list[str]) -> str | None:
    if not segments:
        return node.template
    head, rest = segments[0], segments[1:]
    literal = node.children.get(head)
    if literal is not None:
        found = _match(literal, rest)
        if found is not None:
            return found
    if node.wildcard is not None:
        return _match(node.wildcard, rest)
    return None


def generic_template(path: str) -> str:
    """`path` with every segment that is not word-like replaced by `{id}`."""
    return _join(
        [
            segment if len(segment) <= _MAX_WORD_LENGTH and _WORD.fullmatch(segment) else ID
            for segment in _segments(path)
        ]
    )


class EndpointTemplater:
    """Maps paths to templates for one vendor, never more than `max_endpoints` of them."""

    def __init__(self, table: RouteTable, max_endpoints: int = DEFAULT_MAX_ENDPOINTS) -> None:
        if max_endpoints < 1:
            raise ValueError(f"max_endpoints must be at least 1, got {max_endpoints}")
        self._table = table
        self._max_endpoints = max_endpoints
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def template(self, path: str) -> str:
        template = self._table.match(path) or generic_template(path)
        with self._lock:
            if template in self._seen:
                return template
            if len(self._seen) >= self._max_endpoints:
                return OTHER_ENDPOINT
            self._seen.add(template)
            return template


def _segments(path: str) -> list[str]:
    # Trailing and doubled slashes do not make a different route.
    return [segment for segment in path.split("/") if segment]


def _join(segments: list[str]) -> str:
    return "/" + "/".join(segments)
