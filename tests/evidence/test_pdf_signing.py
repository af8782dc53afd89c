"""PAdES signatures of the report: what validation accepts and every later change it must catch."""

from __future__ import annotations

import io

import pypdf
import pytest

from compliance.errors import PdfSigningError
from compliance.evidence.keys import Signer
from compliance.evidence.pdf_signing import sign_pdf, validate_pdf
from compliance.times import parse_utc

from .builders import issued


@pytest.fixture(scope="module")
def signed_pdf(report_pdf: bytes, signer: Signer) -> bytes:
    return sign_pdf(report_pdf, signer)


def incrementally_updated(pdf: bytes) -> bytes:
    """The PDF with a file attached by an incremental update, as a later editor would append it."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = embed.EmbeddedFileObject.from_file_data(writer, b"control,status\n1.3.2,fail\n")
    embed.embed_file(writer, embed.FileSpec(file_spec_string="findings.csv", embedded_data=data))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_an_untouched_signed_pdf_passes(signed_pdf: bytes, signer: Signer) -> None:
    for trust in (None, (signer.certificate,)):
        check = validate_pdf(signed_pdf, trust)
        assert check.ok, check.problems
        assert check.trust_checked is (trust is not None)
    check = validate_pdf(signed_pdf)
    assert check.signer == "CN=ACME Payments segproof,O=ACME Payments Ltd"
    assert check.certificate == signer.certificate
    assert parse_utc(check.signed_at)
    reader = pypdf.PdfReader(io.BytesIO(signed_pdf))
    assert reader.attachments == {"findings.csv": [b"control,status\n1.3.2,pass\n"]}
    assert "/Perms" in reader.trailer["/Root"]


def test_a_byte_flipped_inside_the_signed_range_fails(signed_pdf: bytes, signer: Signer) -> None:
    # A byte of the first compressed stream: the page content, well inside the first signed byte range.
    position = signed_pdf.index(b"stream\n") + len(b"stream\n") + 20
    tampered = bytearray(signed_pdf)
    tampered[position] ^= 0x01
    check = validate_pdf(bytes(tampered), (signer.certificate,))
    assert check.problems == ("signed content changed: the digest does not match the signature",)


def test_an_incremental_update_after_signing_fails(signed_pdf: bytes, signer: Signer) -> None:
    updated = incrementally_updated(signed_pdf)
    assert updated.startswith(signed_pdf)
    check = validate_pdf(updated, (signer.certificate,))
    assert any("does not cover the entire file" in problem for problem in check.problems), check.problems
    assert any("modified after signing" in problem and "DocMDP violated" in problem for problem in check.problems)


def test_a_signer_that_does_not_chain_to_the_trust_root_fails(signed_pdf: bytes, other_signer: Signer,
                                                              root_ca: Signer) -> None:
    for trust in (other_signer.certificate, root_ca.certificate):
        check = validate_pdf(signed_pdf, (trust,))
        assert check.problems == ("the signer certificate (CN=ACME Payments segproof,O=ACME Payments Ltd) does not "
                                  "chain to the trusted certificate",)


def test_a_ca_issued_signer_chains_to_the_root(report_pdf: bytes, ca_issued_signer: Signer, root_ca: Signer,
                                               signer: Signer) -> None:
    signed = sign_pdf(report_pdf, ca_issued_signer)
    assert validate_pdf(signed, (root_ca.certificate,)).ok
    assert validate_pdf(signed, (signer.certificate, root_ca.certificate)).ok
    assert not validate_pdf(signed, (signer.certificate,)).ok


def test_a_signer_issued_by_an_end_entity_certificate_is_not_trusted(report_pdf: bytes, root_ca: Signer) -> None:
    end_entity = issued("CN=Some Employee,O=ACME Payments Ltd", root_ca, ca=False)
    minted = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", end_entity, ca=False)
    signed = sign_pdf(report_pdf, Signer(minted.private_key, minted.certificate, (end_entity.certificate,)))
    assert not validate_pdf(signed, (root_ca.certificate,)).ok


def test_certificates_must_be_valid_at_the_given_moment(signed_pdf: bytes) -> None:
    check = validate_pdf(signed_pdf, moment=parse_utc("2051-01-01T00:00:00Z"))
    assert check.problems == ("signer certificate expired at 2049-12-24T00:00:00Z",)


def test_an_unsigned_or_broken_pdf_fails_without_raising(report_pdf: bytes) -> None:
    assert validate_pdf(report_pdf).problems == ("not signed (no 'segproof' signature field)",)
    problems = validate_pdf(b"not a pdf").problems
    assert len(problems) == 1 and problems[0].startswith("signature cannot be validated: ")


def test_what_is_not_a_pdf_cannot_be_signed(signer: Signer) -> None:
    with pytest.raises(PdfSigningError, match=r"report\.pdf: cannot be signed"):
        sign_pdf(b"not a pdf", signer)
