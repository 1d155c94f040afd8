"""One verifying TLS context per process, and none at all when verification is off."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from llmconform.model import CaseWork, Connection, Limits, Request
from llmconform.transport.executor import execute
from llmconform.transport.http_client import tls_verify


def test_verification_on_shares_one_strict_context() -> None:
    context = tls_verify(True)
    assert context is tls_verify(True)
    if isinstance(context, ssl.SSLContext):  # httpx >= 0.28; older ones get True
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.get_ca_certs(), "the CA bundle was not loaded"
    else:
        assert context is True


def test_verification_off_is_false() -> None:
    assert tls_verify(False) is False


# -- end to end: a loopback HTTPS target with a self-signed certificate ----------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"object":"list","data":[]}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    cert, key = _self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("verify", [True, False])
def test_the_shared_context_still_rejects_an_untrusted_certificate(
    https_url: str, verify: bool
) -> None:
    limits = Limits(timeout_s=10, connect_timeout_s=5, idle_timeout_s=5)
    work = [CaseWork(f"c{i}", (Request("GET", "/models"),)) for i in range(2)]
    for _ in range(2):  # a second run reuses the cached context
        captures = execute(work, Connection(https_url, verify_tls=verify), limits, 2)
        for (capture,) in captures.values():
            if verify:
                assert capture.status is None and capture.error, capture
                assert "certificate" in capture.error.lower() or "ssl" in capture.error.lower()
            else:
                assert capture.status == 200, capture.error
