"""Ed25519 signatures over a report's exact bytes (the `cryptography` package does the math).

A detached signature file `<report>.sig` holds one JSON object: the algorithm, the SHA-256 of
the signed bytes, the public key (so a verifier can say which key signed) and the signature.
Any change to any byte of the report makes verification fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from llmconform.errors import EvidenceError, VerificationFailed

ALGORITHM = "ed25519"


class SignatureError(VerificationFailed):
    """A key or signature is missing, malformed, or does not match."""


class MalformedSignature(EvidenceError):
    """The signature file is not a signature document at all (a usage error, not a mismatch)."""


def generate_keypair() -> tuple[bytes, bytes]:
    """A new (private PEM, public PEM) pair."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _load_private(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError("the private key is not an Ed25519 key")
    return key


def _load_public(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError("the public key is not an Ed25519 key")
    return key


def _raw_public(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(data: bytes, private_pem: bytes) -> str:
    """The signature document (JSON text) for `data`."""
    key = _load_private(private_pem)
    doc = {
        "algorithm": ALGORITHM,
        "sha256": hashlib.sha256(data).hexdigest(),
        "public_key": _raw_public(key.public_key()),
        "signature": base64.b64encode(key.sign(data)).decode(),
    }
    return json.dumps(doc, indent=2) + "\n"


def verify(data: bytes, signature_doc: str, public_pem: bytes) -> None:
    """Raise SignatureError unless `signature_doc` is a valid signature of `data` by the key."""
    try:
        doc = json.loads(signature_doc)
        sig = base64.b64decode(doc["signature"], validate=True)
        if doc.get("algorithm") != ALGORITHM:
            raise SignatureError(f"unsupported algorithm {doc.get('algorithm')!r}")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise MalformedSignature("the signature file is not a signature document") from None
    key = _load_public(public_pem)
    if doc.get("public_key") != _raw_public(key):
        raise SignatureError("the report was signed with a different key than the one given")
    if doc.get("sha256") != hashlib.sha256(data).hexdigest():
        raise SignatureError("the report was changed after it was signed (hash mismatch)")
    try:
        key.verify(sig, data)
    except InvalidSignature:
        raise SignatureError("the signature does not match the report") from None


def signature_path(report: Path) -> Path:
    """Where the detached signature of a report lives."""
    return report.with_name(report.name + ".sig")
