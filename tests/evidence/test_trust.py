"""Trust in a signer: RFC 5280 path validation to the given anchors, signing usages, fingerprints."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from compliance.evidence.keys import Signer
from compliance.evidence.trust import chain_problem, described, fingerprint, signing_problem, usage_problem

from .builders import issued

MOMENT = datetime.datetime(2026, 9, 30, 12, tzinfo=datetime.timezone.utc)


def test_a_signer_chains_to_itself_or_through_its_intermediates_to_a_root(signer: Signer, other_signer: Signer,
                                                                           ca_issued_signer: Signer,
                                                                           root_ca: Signer) -> None:
    assert chain_problem((signer.certificate,), (signer.certificate,), MOMENT) == ""
    assert chain_problem((ca_issued_signer.certificate, *ca_issued_signer.chain), (root_ca.certificate,), MOMENT) == ""
    assert chain_problem((ca_issued_signer.certificate, *ca_issued_signer.chain),
                         (other_signer.certificate, root_ca.certificate), MOMENT) == ""
    assert chain_problem((other_signer.certificate,), (signer.certificate,), MOMENT) != ""
    assert "no path" in chain_problem((ca_issued_signer.certificate,), (root_ca.certificate,), MOMENT)
    assert chain_problem((ca_issued_signer.certificate, *ca_issued_signer.chain), (signer.certificate,), MOMENT)


def test_an_end_entity_certificate_cannot_issue_a_signer(root_ca: Signer) -> None:
    # Anyone holding a CA-issued end-entity key could otherwise mint any signer name.
    end_entity = issued("CN=Some Employee,O=ACME Payments Ltd", root_ca, ca=False)
    minted = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", end_entity, ca=False)
    problem = chain_problem((minted.certificate, end_entity.certificate), (root_ca.certificate,), MOMENT)
    assert "is not a CA" in problem


def test_an_issuer_without_the_certificate_signing_usage_cannot_issue(root_ca: Signer) -> None:
    intermediate = issued("CN=ACME Web CA,O=ACME Payments Ltd", root_ca, ca=True, key_cert_sign=False)
    leaf = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", intermediate, ca=False)
    assert chain_problem((leaf.certificate, intermediate.certificate), (root_ca.certificate,), MOMENT) != ""


def test_certificates_on_the_path_must_be_valid_at_the_moment(ca_issued_signer: Signer, root_ca: Signer) -> None:
    late = datetime.datetime(2051, 1, 1, tzinfo=datetime.timezone.utc)
    assert chain_problem((ca_issued_signer.certificate, *ca_issued_signer.chain), (root_ca.certificate,), late)
    assert signing_problem(ca_issued_signer.certificate, late).startswith("certificate expired at 2049-")


def test_a_signer_needs_a_signing_usage(root_ca: Signer) -> None:
    server = issued("CN=api.example.com", root_ca, ca=False,
                    extended_usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]))
    assert usage_problem(server.certificate) == "certificate extended key usage does not allow signing documents"
    document = issued("CN=Signer", root_ca, ca=False,
                      extended_usage=x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]))
    assert usage_problem(document.certificate) == ""
    assert usage_problem(root_ca.certificate) == ""  # digitalSignature is set on the test CA


def test_fingerprints_tell_certificates_with_one_subject_apart(signer: Signer) -> None:
    twin = issued(signer.certificate.subject.rfc4514_string(), None, ca=False)
    assert fingerprint(signer.certificate) == signer.certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    assert len(fingerprint(signer.certificate)) == 95
    assert described(signer.certificate) != described(twin.certificate)
    assert described(signer.certificate).startswith("CN=ACME Payments segproof,O=ACME Payments Ltd (SHA-256 ")
