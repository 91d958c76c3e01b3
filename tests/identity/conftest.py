"""The dev provider over HTTP for the sign-in suites; the test client's origin registered there."""

import pytest

from tests.conftest import unavailable
from tests.harness.devidp import DevIdp, DevIdpError

PORTAL = "http://localhost"  # the test client's origin


@pytest.fixture(scope="module")
def dev_idp():
    try:
        with DevIdp(env={"KLANTPORTAL_BASE_URL": PORTAL}) as running:
            yield running
    except DevIdpError as error:
        unavailable(f"dev identity provider: {error}")


@pytest.fixture(scope="module")
def idp(dev_idp):
    """The provider a suite signs in through (test_providers runs against two)."""
    return dev_idp
