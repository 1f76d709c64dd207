"""The catalog of vendor facts (vendors.yaml), typed; `CATALOG` is read once at import.

Everything that knows a vendor fact (probe names and requests, limits, failure
reasons, status-page paths, immediate actions, cause texts) reads it from here.
"""

from __future__ import annotations

from .loader import CatalogError, parse_catalog, read_catalog
from .model import (
    STATUSPAGE_PROBE,
    Action,
    Catalog,
    Cause,
    FailureReason,
    ProbeSpec,
    StatusPageFormat,
    TriageBranch,
    VendorKind,
)

CATALOG: Catalog = read_catalog()

__all__ = [
    "CATALOG",
    "STATUSPAGE_PROBE",
    "Action",
    "Catalog",
    "CatalogError",
    "Cause",
    "FailureReason",
    "ProbeSpec",
    "StatusPageFormat",
    "TriageBranch",
    "VendorKind",
    "parse_catalog",
    "read_catalog",
]
