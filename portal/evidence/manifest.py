"""The manifest of an evidence package and its detached signature.

The manifest is canonical JSON (keys sorted, UTF-8, fixed indentation, one trailing newline), so the same
facts give the same bytes; the signature is Ed25519 over exactly those bytes (`manifest.json`), kept
beside it in `manifest.sig.json` with the key id, the public key and its fingerprint. Nothing here reads
the database: verify.py and the console script use these same functions on a package alone."""
import base64
import binascii
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portal.core import evidence_keys

FORMAT = "portal-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"
ALGORITHM = "Ed25519"


def canonical(document: dict) -> bytes:
    """The one byte form of a manifest."""
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n").encode("utf-8")


def audit_entry(event) -> dict:
    """An audit event as the package records it: enough to find and check it in the audit chain."""
    return {"seq": event.seq, "at": event.at.isoformat(timespec="microseconds"), "actor": event.actor,
            "action": event.action, "object": f"{event.object_type}:{event.object_id}",
            "from_state": event.from_state, "to_state": event.to_state, "reason": event.reason,
            "key_id": event.key_id, "hash": event.hash}


def signature_document(keyring: evidence_keys.EvidenceKeyring, manifest_bytes: bytes) -> bytes:
    kid, signature = keyring.sign(manifest_bytes)
    public = dict(keyring.public_keys())[kid]
    return canonical({"algorithm": ALGORITHM, "key_id": kid, "signed_file": MANIFEST,
                      "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
                      "public_key": evidence_keys.b64(evidence_keys.raw_public(public)),
                      "public_key_sha256": evidence_keys.fingerprint(public),
                      "signature": base64.b64encode(signature).decode("ascii")})


def read_signature(data: bytes) -> dict:
    """The signature document; ValueError with what is wrong with it."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{SIGNATURE} is not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("algorithm") != ALGORITHM:
        raise ValueError(f"{SIGNATURE} does not hold an {ALGORITHM} signature")
    for name in ("key_id", "public_key", "signature"):
        if not isinstance(document.get(name), str):
            raise ValueError(f"{SIGNATURE} has no {name}")
    return document


def embedded_public_key(document: dict) -> Ed25519PublicKey:
    raw = evidence_keys.decode_seed(document["public_key"])
    if raw is None or len(raw) != 32:
        raise ValueError(f"{SIGNATURE}: the public key is not 32 bytes of URL-safe base64")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_ok(public: Ed25519PublicKey, document: dict, manifest_bytes: bytes) -> bool:
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        public.verify(signature, manifest_bytes)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
