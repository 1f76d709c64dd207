"""Basic auth against bcrypt hashes, as the exporter-toolkit does it.

An unknown user is checked against a dummy hash of the same cost, so a wrong password
takes the same time whether or not the user exists. Successful checks are cached (a
hash of user and password, never the password) so a scraper pays bcrypt once, not at
every scrape; failures are never cached and always pay the full cost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping

import bcrypt

_CACHE_SIZE = 256


def _cost(hashed: bytes) -> int:
    return int(hashed.split(b"$")[2])


def parse_basic(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


class BasicAuth:
    def __init__(self, users: Mapping[str, bytes]):
        self.users = dict(users)
        cost = max((_cost(h) for h in self.users.values()), default=10)
        self._dummy = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=cost))
        self._ok: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, header: str | None) -> bool:
        """True when the Authorization header holds a configured user's password.
        Blocking (bcrypt): call it from a worker thread."""
        creds = parse_basic(header or "")
        user, password = creds or ("", "")
        token = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        with self._lock:
            if creds and token in self._ok:
                self._ok.move_to_end(token)
                return True
        hashed = self.users.get(user)
        # Always one bcrypt run of the same cost, known user or not.
        ok = bcrypt.checkpw(password.encode(), hashed or self._dummy)
        ok = ok and hashed is not None and creds is not None
        if ok:
            with self._lock:
                self._ok[token] = None
                while len(self._ok) > _CACHE_SIZE:
                    self._ok.popitem(last=False)
        return ok
