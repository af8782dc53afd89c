"""PAdES B-B signatures of the report PDF with pyHanko, and their validation.

The signature is a certification signature with DocMDP "no changes allowed", so that any later change, even an
incremental update that poppler-based viewers still call "valid", is flagged by every viewer. pyHanko is imported
inside the functions because importing it takes about 0.3 s.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from compliance.errors import PdfSigningError
from compliance.evidence.keys import Signer
from compliance.evidence.trust import signing_problem
from compliance.times import format_utc

SIGNATURE_FIELD = "segproof"


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What validating a PDF's segproof signature found: who signed, when, and every problem."""

    certificate: x509.Certificate | None
    signed_at: str
    trust_checked: bool
    problems: tuple[str, ...]

    @property
    def signer(self) -> str:
        """The signer's subject as an RFC 4514 string, or '' when no signature was found."""
        return self.certificate.subject.rfc4514_string() if self.certificate is not None else ""

    @property
    def ok(self) -> bool:
        """Whether the signature is intact, valid, (trusted,) covers the whole file and nothing changed since."""
        return not self.problems


def sign_pdf(pdf: bytes, signer: Signer, name: str = "report.pdf") -> bytes:
    """The PDF with a PAdES B-B certification signature (DocMDP no changes, SHA-256) in the field `segproof`."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = asn1_x509.Certificate.load(signer.certificate.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(extra.public_bytes(serialization.Encoding.DER)) for extra in signer.chain]
    key = asn1_keys.PrivateKeyInfo.load(signer.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        ),
        signers.SimpleSigner(certificate, key, SimpleCertificateStore.from_certs([certificate, *chain])),
    )
    output = io.BytesIO()
    try:
        pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=output)
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise PdfSigningError(name, f"{type(error).__name__}: {error}") from None
    return output.getvalue()


def validate_pdf(pdf: bytes, trust: Sequence[x509.Certificate] | None = None,
                 moment: datetime.datetime | None = None) -> PdfSignatureCheck:
    """Validate the `segproof` signature: intact, valid, trusted (when `trust` is given), whole file, unchanged.

    Without `trust` the signer's own certificate is taken as the root, so only integrity is checked. `moment` is
    when the certificates must have been valid (default now).
    """
    try:
        return checked_signature(pdf, trust, moment)
    except ImportError:
        raise  # a broken installation says nothing about the PDF
    except Exception as error:  # a PDF that breaks the validator fails validation, whatever pyHanko raised
        return PdfSignatureCheck(None, "", trust is not None,
                                 (f"signature cannot be validated: {type(error).__name__}: {error}",))


def checked_signature(pdf: bytes, trust: Sequence[x509.Certificate] | None,
                      moment: datetime.datetime | None) -> PdfSignatureCheck:
    """The result of validating the `segproof` signature of `pdf`; pyHanko's exceptions propagate."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    ours = [signature for signature in signatures if signature.field_name == SIGNATURE_FIELD]
    if not ours:
        return PdfSignatureCheck(None, "", trust is not None, ("not signed (no 'segproof' signature field)",))
    embedded = ours[0]
    signer_certificate = embedded.signer_cert
    roots = ([asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER)) for root in trust]
             if trust is not None else [signer_certificate])
    context = ValidationContext(trust_roots=roots, other_certs=list(embedded.other_embedded_certs),
                                allow_fetching=False, moment=moment)
    status = validate_pdf_signature(embedded, context)
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    signed_at = format_utc(status.signer_reported_dt) if status.signer_reported_dt else ""
    unusable = signing_problem(certificate, moment or context.moment)
    problems = []
    if len(signatures) > 1:
        problems.append(f"has {len(signatures)} signatures; a segproof report carries exactly one")
    # pyHanko only judges trust once the signature itself holds, and a signer not valid then cannot be trusted.
    if not status.intact:
        problems.append("signed content changed: the digest does not match the signature")
    elif not status.valid:
        problems.append("the signature value does not verify with the signer certificate")
    elif trust is not None and not status.trusted and not unusable:
        problems.append(f"the signer certificate ({certificate.subject.rfc4514_string()}) does not chain to the "
                        "trusted certificate")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("changed after signing: the signature does not cover the entire file (an update was appended)")
    level = status.modification_level
    if level != ModificationLevel.NONE or status.docmdp_ok is False:
        problems.append(f"modified after signing (modification level {level.name if level is not None else 'unknown'}, "
                        f"DocMDP {'violated' if status.docmdp_ok is False else 'not violated'})")
    if unusable:
        problems.append(f"signer {unusable}")
    return PdfSignatureCheck(certificate, signed_at, trust is not None, tuple(problems))
