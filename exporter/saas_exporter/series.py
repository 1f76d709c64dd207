"""The per-target series, formatted straight to exposition text, in one of two profiles.

Profiles (``global.series_profile``):
- ``full`` (default): every series, every failure reason for every probe;
- ``compact``, for fleets: only what the rule pack, the dashboards and the on-call
  commands read. Dropped: ``saas_probe_failing`` and ``saas_probe_failures_total`` for
  reasons the probe can never produce (each probe's ``reasons`` in the catalog: the
  status-page probe has no account-only reasons), the latency histogram of probes too
  rare for a percentile (catalog ``latency_percentile: false``),
  ``saas_probe_last_success_timestamp_seconds``, ``saas_probe_runs_total``,
  ``saas_probe_skipped_total`` and ``saas_ratelimit_reset_seconds``.
  tests/test_series_profiles.py checks every selector of rules/ and dashboards/ against
  both profiles.

Why text, not prometheus_client families: a target's lines depend on its own state
only, and with thousands of targets building family objects per sample was most of a
scrape. Label strings are built once per target; a state becomes text in one pass. The
text is what ``generate_latest`` writes for the same samples (sorted labels, Go float
formatting, escaped values; tests parse it back and compare).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prometheus_client.utils import floatToGoString

from .config.model import SeriesProfile as Profile
from .probes.result import FAILURE_REASONS
from .probes.target import ProbeTarget
from .state import LATENCY_BUCKETS, TargetState

PROFILES: tuple[Profile, ...] = ("full", "compact")


@dataclass(frozen=True)
class Family:
    name: str  # a counter's name without _total, as prometheus_client names families
    type: Literal["gauge", "counter", "histogram"]
    documentation: str
    compact: bool = True  # kept in the compact profile

    @property
    def exposed_name(self) -> str:
        return self.name + "_total" if self.type == "counter" else self.name


# Per-target families, in page order.
TARGET_FAMILIES: tuple[Family, ...] = (
    Family("saas_probe_success", "gauge", "1 when the latest probe succeeded, else 0."),
    Family("saas_probe_duration_seconds", "gauge", "Duration of the latest probe."),
    Family("saas_probe_latency_seconds", "histogram", "Probe durations."),
    Family(
        "saas_probe_http_status_code",
        "gauge",
        "HTTP status of the latest probe, 0 without a response.",
    ),
    Family("saas_probe_failures", "counter", "Failed probes by reason."),
    Family(
        "saas_probe_failing",
        "gauge",
        "1 for the reason the latest probe failed with, 0 for the others.",
    ),
    Family("saas_probe_runs", "counter", "Probes run.", compact=False),
    Family(
        "saas_probe_skipped",
        "counter",
        "Scheduled probes skipped because the vendor's Retry-After had not passed.",
        compact=False,
    ),
    Family(
        "saas_probe_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the latest successful probe.",
        compact=False,
    ),
    Family(
        "saas_probe_last_run_timestamp_seconds", "gauge", "Unix time the latest probe finished."
    ),
    Family("saas_probe_interval_seconds", "gauge", "Configured probe interval."),
    Family(
        "saas_ratelimit_limit",
        "gauge",
        "Requests allowed per window (window length in seconds), from response headers.",
    ),
    Family(
        "saas_ratelimit_remaining",
        "gauge",
        "Requests left in the current window, from response headers; 0 after a 429.",
    ),
    Family(
        "saas_ratelimit_reset_seconds",
        "gauge",
        "Seconds until the rate-limit window resets.",
        compact=False,
    ),
    Family("saas_retry_after_seconds", "gauge", "Retry-After of the latest response, 0 when none."),
    Family(
        "saas_ratelimit_header_invalid",
        "counter",
        "Rate-limit headers that could not be parsed, by header name.",
    ),
    Family("saas_account_info", "gauge", "The account the key answered for (latest known)."),
)


def families(profile: Profile) -> tuple[Family, ...]:
    return tuple(f for f in TARGET_FAMILIES if profile == "full" or f.compact)


def escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"


# The histogram's `le` label values, quoted.
BUCKET_BOUNDS = tuple(f'"{le}"' for le in [*map(_le, LATENCY_BUCKETS), "+Inf"])
_g: Callable[[float], str] = floatToGoString
# Counts (bucket totals, failures, runs) repeat across targets and scrapes: formatted
# once each. Durations and timestamps, nearly all distinct, go through _g.
_count: Callable[[float], str] = functools.lru_cache(maxsize=8192)(floatToGoString)


class TargetLines:
    """One target's label strings, built once; ``render`` turns a state into its lines
    per family (family name -> bytes; a family without samples is absent)."""

    def __init__(self, target: ProbeTarget, profile: Profile):
        vendor, account, probe = (escape(part) for part in target.key)
        spec = target.vendor.kind_spec.probes[target.probe]
        compact = profile == "compact"
        self.target = target
        self.full = not compact
        self.statuspage = target.probe == "statuspage"
        self.identity = target.probe == target.vendor.kind_spec.identity_probe
        self.labels = f'{{account="{account}",probe="{probe}",vendor="{vendor}"}} '
        head, tail = f'account="{account}",probe="{probe}",', f'vendor="{vendor}"'
        possible = set(spec.reasons)
        # Only the parts around the reason and the bucket bound are kept: joined at each
        # render (cheap), not stored per reason and bucket (megabytes at 1,000 accounts).
        self.reasons = tuple(r for r in FAILURE_REASONS if not compact or r in possible)
        self.reason_parts = (f"{{{head}reason=", f",{tail}}} ")
        self.histogram = not compact or spec.latency_percentile
        self.bucket_parts = (
            f'saas_probe_latency_seconds_bucket{{account="{account}",le=',
            f',probe="{probe}",{tail}}} ',
        )
        self.window_head = f'saas_ratelimit_limit{{{head}{tail},window="'
        self.header_block = (f'{{account="{account}",header="', f'",probe="{probe}",{tail}}} ')
        self.account_block = (f'{{account="{account}",account_id="', f'vendor="{vendor}"}} ')
        # The failure families change only when a probe fails, or fails differently:
        # each kept with what it was rendered from (the bytes are the exposition's own).
        self._failures: tuple[object, bytes] | None = None
        self._failing: tuple[str | None, bytes] | None = None

    def render(self, state: TargetState) -> dict[str, bytes]:
        out: dict[str, list[str]] = {}
        labels, last = self.labels, state.last
        if last is not None:
            out["saas_probe_success"] = [
                f"saas_probe_success{labels}{'1.0' if last.success else '0.0'}\n"
            ]
            out["saas_probe_duration_seconds"] = [
                f"saas_probe_duration_seconds{labels}{_g(last.duration_seconds)}\n"
            ]
            out["saas_probe_http_status_code"] = [
                f"saas_probe_http_status_code{labels}{_g(last.http_status)}\n"
            ]
        if self.histogram:
            lines, cumulative = [], 0
            before, after = self.bucket_parts
            for le, count in zip(BUCKET_BOUNDS, state.bucket_counts, strict=True):
                cumulative += count
                lines.append(f"{before}{le}{after}{_count(cumulative)}\n")
            lines.append(f"saas_probe_latency_seconds_count{labels}{_count(cumulative)}\n")
            lines.append(f"saas_probe_latency_seconds_sum{labels}{_g(state.latency_sum)}\n")
            out["saas_probe_latency_seconds"] = lines
        self._probe_bookkeeping(state, out)
        self._ratelimit(state, out)
        identity = state.identity
        if identity is not None and self.identity:
            test = (
                "unknown" if identity.test_account is None else str(identity.test_account).lower()
            )
            before, after = self.account_block
            out["saas_account_info"] = [
                f'saas_account_info{before}{escape(identity.account_id)}",'
                f'test_account="{test}",{after}1.0\n'
            ]
        rendered = {name: "".join(lines).encode() for name, lines in out.items()}
        failures = state.failures
        if self._failures is None or self._failures[0] is not failures:
            counted = self._reason_lines(
                "saas_probe_failures_total", lambda r: _count(failures.get(r, 0))
            )
            self._failures = (failures, counted)
        rendered["saas_probe_failures"] = self._failures[1]
        if last is not None:
            failed = last.failure_reason
            if self._failing is None or self._failing[0] != failed:
                flagged = self._reason_lines(
                    "saas_probe_failing", lambda r: "1.0" if r == failed else "0.0"
                )
                self._failing = (failed, flagged)
            rendered["saas_probe_failing"] = self._failing[1]
        return rendered

    def _reason_lines(self, metric: str, value: Callable[[str], str]) -> bytes:
        before, after = self.reason_parts
        return "".join(f'{metric}{before}"{r}"{after}{value(r)}\n' for r in self.reasons).encode()

    def _probe_bookkeeping(self, state: TargetState, out: dict[str, list[str]]) -> None:
        labels = self.labels
        if self.full:
            out["saas_probe_runs"] = [f"saas_probe_runs_total{labels}{_count(state.runs)}\n"]
            out["saas_probe_skipped"] = [
                f"saas_probe_skipped_total{labels}{_count(state.skipped)}\n"
            ]
            if state.last_success_at is not None:
                out["saas_probe_last_success_timestamp_seconds"] = [
                    f"saas_probe_last_success_timestamp_seconds{labels}"
                    f"{_g(state.last_success_at)}\n"
                ]
        if state.last is not None:
            out["saas_probe_last_run_timestamp_seconds"] = [
                f"saas_probe_last_run_timestamp_seconds{labels}{_g(state.last.finished_at)}\n"
            ]
        out["saas_probe_interval_seconds"] = [
            f"saas_probe_interval_seconds{labels}{_g(self.target.interval_seconds)}\n"
        ]

    def _ratelimit(self, state: TargetState, out: dict[str, list[str]]) -> None:
        labels = self.labels
        if state.invalid_headers:
            before, after = self.header_block
            out["saas_ratelimit_header_invalid"] = [
                f"saas_ratelimit_header_invalid_total{before}{escape(header)}{after}{_g(count)}\n"
                for header, count in sorted(state.invalid_headers.items())
            ]
        if self.statuspage:
            return
        if state.last is not None:
            retry = state.last.retry_after_seconds or 0.0
            out["saas_retry_after_seconds"] = [f"saas_retry_after_seconds{labels}{_g(retry)}\n"]
        info = state.ratelimit
        if info is None:
            return
        if info.limits:
            out["saas_ratelimit_limit"] = [
                f'{self.window_head}{escape(window)}"}} {_g(value)}\n'
                for window, value in sorted(info.limits.items())
            ]
        if info.remaining is not None:
            out["saas_ratelimit_remaining"] = [
                f"saas_ratelimit_remaining{labels}{_g(info.remaining)}\n"
            ]
        if info.reset_seconds is not None and self.full:
            out["saas_ratelimit_reset_seconds"] = [
                f"saas_ratelimit_reset_seconds{labels}{_g(info.reset_seconds)}\n"
            ]
