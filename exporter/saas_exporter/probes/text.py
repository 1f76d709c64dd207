"""Text a vendor sent, made safe to show: in labels, /health, logs and error messages."""

from __future__ import annotations

import re

# Default longest label value (config: global.limits.max_label_length).
DEFAULT_MAX_LABEL_LENGTH = 256
ELLIPSIS = "…"
# C0/C1 controls and lone surrogates (valid in JSON escapes, invalid in UTF-8 output).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def vendor_text(value: object, limit: int = DEFAULT_MAX_LABEL_LENGTH) -> str:
    """``value`` as one line of printable text, at most ``limit`` characters (cut
    ones end with an ellipsis, so a cut value never reads as the whole one)."""
    text = _UNSAFE.sub(" ", value if isinstance(value, str) else str(value))
    if len(text) > limit:
        return text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS
    return text
