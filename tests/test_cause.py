"""The cause rule in Python (saas_exporter.cause): the verdict of every case."""

import pytest

from saas_exporter import cause
from tests.cause_cases import CASES, CauseCase


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_verdict_of_each_case(case: CauseCase):
    side = cause.vendor_side(case.page, case.failing, len(case.accounts))
    assert (side.kind if side else None) == case.want


def test_the_evidence_is_named():
    page = cause.from_page(
        cause.PageEvidence("minor", {"Klaviyo API": "degraded_performance"}, ("Klaviyo API",))
    )
    assert page == cause.VendorSide("incident", "API component Klaviyo API: degraded_performance")
    rootly = cause.from_page(cause.PageEvidence("maintenance", {}, ()))
    assert rootly == cause.VendorSide(
        "maintenance",
        "the status page indicator is maintenance and the page lists no API component, so "
        "the indicator stands for the API",
    )
    wide = cause.from_accounts({"eu": ["timeout"], "us": ["connection"]}, 3)
    assert wide == cause.VendorSide(
        "vendor_wide", "2 of 3 accounts fail with no_answer reasons at once (eu, us)"
    )


def test_a_vendor_wide_failure_explains_server_side_and_no_answer_failures_only():
    wide = cause.VendorSide("vendor_wide", "")
    assert cause.explains(wide, ["server_error", "timeout"])
    assert not cause.explains(wide, ["server_error", "auth"])
    # The page explains any failure it covers.
    assert cause.explains(cause.VendorSide("incident", ""), ["auth"])


def test_the_thresholds_are_configurable_but_never_one_account():
    three = cause.VendorWide(min_accounts=3, min_share=0.5)
    failing = {"a": ["server_error"], "b": ["server_error"]}
    assert cause.from_accounts(failing, 3) is not None
    assert cause.from_accounts(failing, 3, three) is None
    with pytest.raises(ValueError, match="one failing account is never the vendor's"):
        cause.VendorWide(min_accounts=1)
