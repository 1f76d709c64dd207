"""Basic auth's cost per check, at bcrypt cost 10 (what htpasswd -nBC 10 writes): a
wrong password for a known user, an unknown user (checked against a dummy hash of the
same cost), the right password (first check, then cached). Prints a table; asserts
nothing.

    .venv/bin/python bench/basic_auth.py
"""

from __future__ import annotations

import base64
import statistics
import time

import bcrypt

from saas_exporter.web.auth import BasicAuth

RUNS = 15


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def timed(check, value: str) -> float:
    t0 = time.perf_counter()
    check(value)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    auth = BasicAuth({"prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=10))})
    cases = {
        "known user, wrong password": header("prometheus", "wrong"),
        "unknown user": header("mallory", "wrong"),
        "no credentials": "",
    }
    print("| check | median | min | max |")
    print("|---|---|---|---|")
    for name, value in cases.items():
        times = [timed(auth.check, value) for _ in range(RUNS)]
        median, low, high = statistics.median(times), min(times), max(times)
        print(f"| {name} | {median:.1f} ms | {low:.1f} ms | {high:.1f} ms |")
    first = timed(auth.check, header("prometheus", "s3cret"))
    cached = [timed(auth.check, header("prometheus", "s3cret")) for _ in range(RUNS)]
    print(f"| right password, first check | {first:.1f} ms | | |")
    print(f"| right password, cached | {statistics.median(cached):.3f} ms | | |")


if __name__ == "__main__":
    main()
