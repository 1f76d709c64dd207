"""No API key in logs, metrics, /health or error text, whatever the vendor does."""

import io
import logging

import httpx
import pytest

from saas_exporter.logs import setup_logging
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import SCENARIOS
from tests.conftest import TEST_KEY, klaviyo_config


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = setup_logging("debug", "json", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_key_never_leaves(simulator, log_stream):
    base = simulator.base_url
    config = klaviyo_config(
        base,
        f"{base}/status/klaviyo",
        key=TEST_KEY,
        vendor={"intervals": {"accounts": "1h", "profiles": "1h", "statuspage": "1h"}},
    )
    runtime = ExporterRuntime(config, ("127.0.0.1", 0))
    runtime.start()
    outputs = []
    try:
        assert runtime.store.wait_all_probed(10)
        for scenario in SCENARIOS:
            if scenario == "slow":
                continue
            simulator.set_scenario("klaviyo", scenario)
            runtime.probe_all_now()
            for path in ("/metrics", "/health", "/", "/-/ready"):
                outputs.append(httpx.get(f"http://{runtime.address}{path}").text)
            outputs += [s.last.error for s in runtime.store.states().values() if s.last]
    finally:
        runtime.stop()
    logged = log_stream.getvalue()
    assert "probe failed" in logged  # failures were logged, with their reasons
    assert '"reason": "auth"' in logged
    for text in [*outputs, logged]:
        assert TEST_KEY not in text
        assert TEST_KEY[3:] not in text
