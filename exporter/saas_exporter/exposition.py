"""The vendor exposition, rendered incrementally: a target's lines are reused until its
state changes.

With 1,000 accounts a probe finishes many times a second, so a cache of the whole page
per store version is stale at nearly every scrape. Each target's samples depend on its
own (immutable) TargetState only, so its lines are formatted once per state and the
page is stitched per family. The text is what ``generate_latest`` writes for the same
families (Prometheus text 0.0.4: sorted labels, Go float formatting, escaped values;
tests compare the two), with the config-only families first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from .collector import SaasCollector
from .state import Key, ResultStore, TargetState

# family name -> its sample lines
Chunks = dict[str, bytes]
_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}


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
        self._global: bytes | None = None
        self._headers: dict[str, bytes] = {}
        self._targets: dict[Key, tuple[TargetState, Chunks]] = {}
        self.rendered_targets = 0  # targets formatted afresh (for tests and the bench)

    def _target_chunks(self, key: Key, state: TargetState) -> Chunks:
        cached = self._targets.get(key)
        if cached is not None and cached[0] is state:
            return cached[1]
        chunks: Chunks = {}
        for family in self.collector.collect_states([state]):
            if family.name not in self._headers:
                self._headers[family.name] = header(family)
            chunks[family.name] = sample_lines(family)
        self._targets[key] = (state, chunks)
        self.rendered_targets += 1
        return chunks

    def render(self) -> bytes:
        with self._lock:
            if self._global is None:
                self._global = generate_latest(_Families(self.collector.collect_global()))
            per_target = [self._target_chunks(k, s) for k, s in self.store.states().items()]
            out = [self._global]
            for name in per_target[0] if per_target else ():
                out.append(self._headers[name])
                out.extend(chunks[name] for chunks in per_target)
            return b"".join(out)
