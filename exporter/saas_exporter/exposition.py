"""The vendor exposition, rendered incrementally: a target's lines are reused until its
state changes.

With 1,000 accounts a probe finishes many times a second, so a cache of the whole page
per store version is stale at nearly every scrape. Each target's samples depend on its
own (immutable) TargetState only, so its lines are formatted once per state and the
page is stitched per family. The text is what ``generate_latest`` writes for the same
families (Prometheus text 0.0.4: sorted labels, Go float formatting, escaped values;
tests compare the two), with the config-only families first.

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
from .state import Key, ResultStore, TargetState

# family name -> its sample lines
Chunks = dict[str, bytes]
_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}
Format = Literal["text", "openmetrics"]
FORMATS: tuple[Format, ...] = ("text", "openmetrics")
OPENMETRICS_EOF = b"# EOF\n"


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]):
        self.families = list(families)

    def collect(self):
        return self.families


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def header(family: Metric) -> bytes:
    name = family.name + "_total" if family.type == "counter" else family.name
    doc = family.documentation.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {doc}\n# TYPE {name} {_TYPES[family.type]}\n".encode()


def openmetrics_header(family: Metric) -> bytes:
    """The library's own OpenMetrics HELP/TYPE lines for the family, without samples."""
    empty = Metric(family.name, family.documentation, family.type, family.unit)
    return openmetrics_body(_Families([empty]))


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
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(sample.labels.items()))
            out.append(f"{sample.name}{{{labels}}} {value}\n")
        else:
            out.append(f"{sample.name} {value}\n")
    return "".join(out).encode()


class IncrementalExposition:
    def __init__(self, collector: SaasCollector, store: ResultStore):
        self.collector = collector
        self.store = store
        self._lock = threading.Lock()
        self._global: dict[Format, bytes] = {}
        self._headers: dict[Format, dict[str, bytes]] = {fmt: {} for fmt in FORMATS}
        self._targets: dict[Key, tuple[TargetState, Chunks]] = {}
        self.rendered_targets = 0  # targets formatted afresh (for tests and the bench)

    def _target_chunks(self, key: Key, state: TargetState) -> Chunks:
        cached = self._targets.get(key)
        if cached is not None and cached[0] is state:
            return cached[1]
        chunks: Chunks = {}
        for family in self.collector.collect_states([state]):
            if family.name not in self._headers["text"]:
                self._headers["text"][family.name] = header(family)
                self._headers["openmetrics"][family.name] = openmetrics_header(family)
            chunks[family.name] = sample_lines(family)
        self._targets[key] = (state, chunks)
        self.rendered_targets += 1
        return chunks

    def _global_families(self, fmt: Format) -> bytes:
        if fmt not in self._global:
            families = _Families(self.collector.collect_global())
            self._global[fmt] = (
                generate_latest(families) if fmt == "text" else openmetrics_body(families)
            )
        return self._global[fmt]

    def render(self, fmt: Format = "text") -> bytes:
        """The vendor families; in OpenMetrics without the closing ``# EOF``."""
        with self._lock:
            per_target = [self._target_chunks(k, s) for k, s in self.store.states().items()]
            headers = self._headers[fmt]
            out = [self._global_families(fmt)]
            for name in per_target[0] if per_target else ():
                out.append(headers[name])
                out.extend(chunks[name] for chunks in per_target)
            return b"".join(out)
