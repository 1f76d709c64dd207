"""Record an application's own requests to SaaS vendors as the rule pack's in-app series.

    from saas_inapp.instrument import instrumented_client
    klaviyo = instrumented_client(base_url="https://a.klaviyo.com")

See docs/instrumentation.md.
"""

from saas_inapp.instrument.headroom import declare_api_revision
from saas_inapp.instrument.httpx_transport import (
    AsyncInstrumentedTransport,
    InstrumentedTransport,
    instrumented_async_client,
    instrumented_client,
)
from saas_inapp.instrument.klaviyo_sdk import instrument_klaviyo_sdk
from saas_inapp.instrument.recorder import CONNECTION_ERROR, TIMEOUT, RequestRecorder
from saas_inapp.instrument.routes import OTHER_ENDPOINT, RouteTable, generic_template

__all__ = [
    "CONNECTION_ERROR",
    "OTHER_ENDPOINT",
    "TIMEOUT",
    "AsyncInstrumentedTransport",
    "InstrumentedTransport",
    "RequestRecorder",
    "RouteTable",
    "declare_api_revision",
    "generic_template",
    "instrument_klaviyo_sdk",
    "instrumented_async_client",
    "instrumented_client",
]
