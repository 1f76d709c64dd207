"""Verify incoming SaaS webhooks (Klaviyo system webhooks) and count every outcome.

    from saas_inapp.webhooks import KlaviyoWebhookVerifier
    verifier = KlaviyoWebhookVerifier(secret)
    outcome = verifier.verify(request_headers, raw_body)
    if outcome.accepted: process(outcome.events)

See docs/instrumentation.md.
"""

from saas_inapp.webhooks.asgi import KlaviyoWebhookASGIApp
from saas_inapp.webhooks.health import DEFAULT_QUIET_PERIOD_SECONDS
from saas_inapp.webhooks.klaviyo import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
    KlaviyoWebhookVerifier,
    klaviyo_signature,
)
from saas_inapp.webhooks.outcome import VerificationOutcome, VerificationResult
from saas_inapp.webhooks.replay import ReplayWindow
from saas_inapp.webhooks.wsgi import klaviyo_webhook_wsgi_app

__all__ = [
    "DEFAULT_QUIET_PERIOD_SECONDS",
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WEBHOOK_ID_HEADER",
    "KlaviyoWebhookASGIApp",
    "KlaviyoWebhookVerifier",
    "ReplayWindow",
    "VerificationOutcome",
    "VerificationResult",
    "klaviyo_signature",
    "klaviyo_webhook_wsgi_app",
]
