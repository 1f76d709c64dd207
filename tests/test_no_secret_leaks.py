"""No API key in logs, metrics, /health or error text, whatever the vendor does.

Covers every kind: a Klaviyo pk_ key, a Clay key and a generic vendor's bearer token.
"""

import io
import logging

import httpx
import pytest

from saas_exporter.config import load_config_data
from saas_exporter.demo import (
    DEMO_ACME_KEY_ENV,
    DEMO_CLAY_KEY_ENV,
    DEMO_KEY_ENV,
    demo_config_data,
)
from saas_exporter.logs import setup_logging
from saas_exporter.runtime import ExporterRuntime
from saas_exporter.simulator import SCENARIOS
from tests.conftest import TEST_KEY

CLAY_KEY = "clay_live_5f4e3d2c1b0a99887766554433221100"
ACME_KEY = "acme_live_00112233445566778899aabbccddeeff"
KEYS = {DEMO_KEY_ENV: TEST_KEY, DEMO_CLAY_KEY_ENV: CLAY_KEY, DEMO_ACME_KEY_ENV: ACME_KEY}


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = setup_logging("debug", "json", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_keys_never_leave(simulator, log_stream):
    data = demo_config_data(
        simulator.base_url, {"accounts": "1h", "profiles": "1h", "api": "1h", "statuspage": "1h"}
    )
    config = load_config_data(data, KEYS)
    runtime = ExporterRuntime(config, ("127.0.0.1", 0))
    runtime.start()
    outputs = []
    try:
        assert runtime.store.wait_all_probed(10)
        for scenario in SCENARIOS:
            if scenario == "slow":
                continue
            # Retry-After 0: a 429 must not hold later scenarios back.
            simulator.set_scenario_everywhere(scenario, retry_after_seconds=0)
            runtime.probe_all_now()
            for path in ("/metrics", "/health", "/", "/-/ready"):
                outputs.append(httpx.get(f"http://{runtime.address}{path}").text)
            outputs += [s.last.error for s in runtime.store.states().values() if s.last]
    finally:
        runtime.stop()
    logged = log_stream.getvalue()
    assert "probe failed" in logged  # failures were logged, with their reasons
    assert '"reason": "auth"' in logged
    assert '"reason": "credits_exhausted"' in logged
    for text in [*outputs, logged]:
        for key in (TEST_KEY, CLAY_KEY, ACME_KEY):
            assert key not in text
            assert key[5:] not in text
