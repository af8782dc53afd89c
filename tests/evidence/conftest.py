"""Fixtures of the evidence tests: real keys, certificates and a real WeasyPrint PDF."""

from __future__ import annotations

import datetime

import pytest

from compliance.evidence.keys import Signer

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
    """A small report rendered by WeasyPrint, with a CSV attached as the report module will attach its data."""
    import weasyprint

    moment = datetime.datetime(2026, 9, 30, 12, tzinfo=datetime.timezone.utc)
    html = ('<html><head><meta name="dcterms.created" content="2026-09-30T12:00:00Z"></head>'
            "<body><h1>Segmentation report</h1><p>Cardholder data zone is isolated.</p></body></html>")
    attachment = weasyprint.Attachment(string=b"control,status\n1.3.2,pass\n", name="findings.csv",
                                       relationship="Data", created=moment, modified=moment)
    return weasyprint.HTML(string=html).write_pdf(attachments=[attachment])


@pytest.fixture
def pack_files(report_pdf: bytes) -> dict[str, bytes]:
    return {
        "report.pdf": report_pdf,
        "data/findings.csv": b"control,object,status\n1.3.2,payments/api,pass\n",
        "data/controls.csv": b"control,status\n1.3.2,pass\n",
        "snapshot.json": b'{"format": "segproof.snapshot/v1"}\n',
        "scope.yaml": b"apiVersion: segproof/v1\nkind: Scope\n",
    }
