"""The vendor exposition, rendered incrementally: a target's lines are formatted when its
state changes, and a scrape only stitches them.

With 1,000 accounts a probe finishes many times a second, so a cache of the whole page
per store version is stale at nearly every scrape. Each target's samples depend on its
own (immutable) TargetState only, so its lines are formatted once per state, right when
the store records it (in the probe thread, ``on_change``), and the page is stitched per
family at scrape time: with every target changed since the last scrape, a scrape still
formats nothing. The config-only families come first, rendered once.

OpenMetrics (what Prometheus asks for first) writes the same sample lines; only the
family headers differ (a counter's family is named without ``_total``) and the page ends
with ``# EOF``, which the caller appends after the process metrics. So both formats
share one per-target cache, and only the headers are kept per format.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Literal

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from .collector import SaasCollector
from .config import ExporterConfig
from .series import TargetLines, escape, families
from .state import Key, ResultStore, TargetState

# A target's sample lines per family, in page order (b"" for a family it has none of).
Chunks = tuple[bytes, ...]
Format = Literal["text", "openmetrics"]
FORMATS: tuple[Format, ...] = ("text", "openmetrics")
OPENMETRICS_EOF = b"# EOF\n"


class _Families(Collector):
    def __init__(self, metrics: Iterable[Metric]):
        self.families = list(metrics)

    def collect(self):
        return self.families


def text_header(name: str, kind: str, documentation: str) -> bytes:
    exposed = name + "_total" if kind == "counter" else name
    doc = documentation.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {exposed} {doc}\n# TYPE {exposed} {kind}\n".encode()


def openmetrics_header(name: str, kind: str, documentation: str) -> bytes:
    """The library's own OpenMetrics HELP/TYPE lines for the family, without samples."""
    return openmetrics_body(_Families([Metric(name, documentation, kind)]))


def openmetrics_body(collector: Collector) -> bytes:
    """OpenMetrics text without the closing ``# EOF`` (more families follow)."""
    text = openmetrics.generate_latest(collector)
    assert text.endswith(OPENMETRICS_EOF)
    return text[: -len(OPENMETRICS_EOF)]


def sample_lines(family: Metric) -> bytes:
    out = []
    for sample in family.samples:
        value = floatToGoString(sample.value)
        if sample.labels:
            labels = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(sample.labels.items()))
            out.append(f"{sample.name}{{{labels}}} {value}\n")
        else:
            out.append(f"{sample.name} {value}\n")
    return "".join(out).encode()


class IncrementalExposition:
    def __init__(self, config: ExporterConfig, store: ResultStore):
        self.collector = SaasCollector(config, store)
        self.store = store
        self.profile = config.series_profile
        self._lock = threading.Lock()
        self._global: dict[Format, bytes] = {}
        self._lines = {
            key: TargetLines(s.target, self.profile) for key, s in store.states().items()
        }
        target_families: list[tuple[str, str, str]] = [
            (f.name, f.type, f.documentation) for f in families(self.profile)
        ]
        statuspage = [
            (f.name, f.type, f.documentation) for f in self.collector.collect_statuspage([])
        ]
        order = target_families + statuspage
        self._order = [name for name, _, _ in order]
        self._headers: dict[Format, dict[str, bytes]] = {
            "text": {name: text_header(name, kind, doc) for name, kind, doc in order},
            "openmetrics": {name: openmetrics_header(name, kind, doc) for name, kind, doc in order},
        }
        self._targets: dict[Key, tuple[TargetState, Chunks]] = {}
        self.rendered_targets = 0  # targets formatted afresh (for tests and the bench)
        store.subscribe(self.on_change)

    def close(self) -> None:
        """Stop formatting on writes (a reload replaced this renderer)."""
        self.store.unsubscribe(self.on_change)

    def on_change(self, key: Key, state: TargetState) -> None:
        """The store recorded a new state: format its lines now (the writer's thread)."""
        with self._lock:
            self._target_chunks(key, state)

    def _target_chunks(self, key: Key, state: TargetState) -> Chunks:
        cached = self._targets.get(key)
        if cached is not None and cached[0] is state:
            return cached[1]
        lines = self._lines.get(key)
        if lines is None or lines.target is not state.target:  # added or changed by a reload
            lines = self._lines[key] = TargetLines(state.target, self.profile)
        by_family = lines.render(state)
        if lines.statuspage:
            for family in self.collector.collect_statuspage([state]):
                by_family[family.name] = sample_lines(family)
        chunks = tuple(by_family.get(name, b"") for name in self._order)
        self._targets[key] = (state, chunks)
        self.rendered_targets += 1
        return chunks

    def _global_families(self, fmt: Format) -> bytes:
        if fmt not in self._global:
            metrics = _Families(self.collector.collect_global())
            self._global[fmt] = (
                generate_latest(metrics) if fmt == "text" else openmetrics_body(metrics)
            )
        return self._global[fmt]

    def render(self, fmt: Format = "text") -> bytes:
        """The vendor families; in OpenMetrics without the closing ``# EOF``."""
        return b"".join(self.render_parts(fmt))

    def render_parts(self, fmt: Format = "text") -> list[bytes]:
        """``render`` in pieces, not joined: a gzip scrape compresses them as they come,
        never holding the whole page (megabytes at 1,000 accounts) in one buffer."""
        # The store's lock first, never inside ours: a recording thread holds the store's
        # lock while on_change takes ours, so the other order deadlocks both threads.
        states = self.store.states()
        with self._lock:
            if len(self._targets) > len(states):  # a reload removed targets
                self._targets = {k: v for k, v in self._targets.items() if k in states}
            per_target = [self._target_chunks(k, s) for k, s in states.items()]
            headers = self._headers[fmt]
            out = [self._global_families(fmt)]
            # Transposed in C: each family's chunks of every target, in target order.
            columns = zip(*per_target, strict=True) if per_target else [()] * len(self._order)
            for name, column in zip(self._order, columns, strict=True):
                out.append(headers[name])
                out.extend(column)
            return out
