"""A local RFC 3161 timestamping authority over HTTP, for tests: real requests, real CMS tokens, a real TSA chain.

Usage::

    with TimestampAuthority() as tsa:
        token = request_timestamp(tsa.url, data)
        tsa.root  # the certificate to trust for its tokens
"""

from __future__ import annotations

import datetime
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

START = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def certificate(subject: str, key: Key, issuer: tuple[x509.Certificate, Key] | None, *, ca: bool,
                usage: x509.ExtendedKeyUsage | None = None) -> x509.Certificate:
    """A certificate for `key`, issued by `issuer` (self-signed when None), valid 2020-2050."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(START).not_valid_after(START + datetime.timedelta(days=30 * 365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


class TimestampAuthority:
    """An HTTP TSA on 127.0.0.1 whose tokens are signed by a TSA certificate (RSA, as pyHanko's token builder
    needs) under its own root.

    `stamp_time` fixes the time it states (default: the current time); `usage` replaces the TSA certificate's
    extended key usage (timeStamping), to test authorities that may not stamp.
    """

    def __init__(self, stamp_time: datetime.datetime | None = None,
                 usage: x509.ExtendedKeyUsage | None = None) -> None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = certificate("Test TSA Root", root_key, None, ca=True)
        self.certificate = certificate("Test TSA", tsa_key, (self.root, root_key), ca=False,
                                       usage=usage or x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]))
        self.stamp_time = stamp_time
        self.key = tsa_key
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    def answer(self, query: bytes) -> bytes:
        """The DER TimeStampResp to a DER TimeStampReq."""
        from asn1crypto import keys, tsp
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def loaded(cert: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        key = keys.PrivateKeyInfo.load(self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        stamper = DummyTimeStamper(loaded(self.certificate), key,
                                   SimpleCertificateStore.from_certs([loaded(self.certificate), loaded(self.root)]),
                                   fixed_dt=self.stamp_time)
        return stamper.request_tsa_response(tsp.TimeStampReq.load(query)).dump()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                authority.requests += 1
                body = authority.answer(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> TimestampAuthority:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
