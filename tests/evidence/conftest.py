"""Fixtures of the evidence tests: real keys, certificates and a real WeasyPrint PDF."""

from __future__ import annotations

import pytest

from compliance.evidence.keys import Signer
from tests.support.renderers import small_pdf

from . import builders
from .builders import issued, self_signed_signer


@pytest.fixture(scope="session")
def signer() -> Signer:
    return self_signed_signer()


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return self_signed_signer("CN=Mallory,O=Elsewhere")


@pytest.fixture(scope="session")
def root_ca() -> Signer:
    return issued("CN=ACME Root CA,O=ACME Payments Ltd", None, ca=True)


@pytest.fixture(scope="session")
def ca_issued_signer(root_ca: Signer) -> Signer:
    """A leaf issued through an intermediate CA, carrying the intermediate in its chain."""
    intermediate = issued("CN=ACME Issuing CA,O=ACME Payments Ltd", root_ca, ca=True)
    leaf = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", intermediate, ca=False)
    return Signer(leaf.private_key, leaf.certificate, (intermediate.certificate,))


@pytest.fixture(scope="session")
def report_pdf() -> bytes:
    return small_pdf()


@pytest.fixture
def pack_files() -> dict[str, bytes]:
    return builders.complete_pack_files()
