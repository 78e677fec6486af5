"""The evidence signing key: Ed25519, signs the manifest of every evidence package (portal/evidence).

The setting (`portal.evidence_key`, or $PORTAL_EVIDENCE_KEY) holds one or more `id:seed` entries separated
by spaces, each seed 32 random bytes in URL-safe base64 (the Ed25519 private key). The first signs; the
others stay listed so their public keys are still published (rotation: put the new key first, keep the old
one listed: packages signed under it still verify against the published list). Development and tests
may leave it empty and get DEVELOPMENT_KEY, which production refuses (core/secret_strength.py), as it
refuses an empty setting."""
import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SETTING = "portal.evidence_key"
SEED_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# Published (this file): only for development and tests when the setting is empty; production refuses it.
DEVELOPMENT_KEY = "dev:ZGV2LW9ubHktZXZpZGVuY2Uta2V5LTMyLWJ5dGVzLTA"
GENERATE = ("python -c \"import base64, os; print('e1:' + base64.urlsafe_b64encode(os.urandom(32))"
            ".decode().rstrip('='))\"")


class EvidenceKeyError(ValueError):
    pass


def decode_seed(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: what a person compares with the published key's."""
    return hashlib.sha256(raw_public(public)).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


@dataclass(frozen=True)
class EvidenceKeyring:
    keys: tuple[tuple[str, Ed25519PrivateKey], ...]

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def sign(self, message: bytes) -> tuple[str, bytes]:
        """(key id, 64-byte Ed25519 signature) under the current key."""
        kid, private = self.keys[0]
        return kid, private.sign(message)

    def public_keys(self) -> list[tuple[str, Ed25519PublicKey]]:
        return [(kid, private.public_key()) for kid, private in self.keys]

    def jwks(self) -> dict:
        """The public keys as a JSON Web Key Set (RFC 8037: kty OKP, crv Ed25519)."""
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA",
                          "x": b64(raw_public(public))} for kid, public in self.public_keys()],
                "fingerprints": {kid: fingerprint(public) for kid, public in self.public_keys()}}


@lru_cache(maxsize=8)
def parse(value: str) -> EvidenceKeyring:
    """`e2:<seed> e1:<old seed>` -> a keyring that signs with e2 and publishes both."""
    entries = []
    for item in (value or "").replace(",", " ").split():
        kid, sep, text = item.partition(":")
        if not sep or not _KEY_ID.match(kid):
            raise EvidenceKeyError(f"{SETTING}: each key is id:seed, the id 1-16 letters, digits, - or _")
        seed = decode_seed(text)
        if seed is None or len(seed) != SEED_BYTES:
            raise EvidenceKeyError(f"{SETTING}: key {kid!r} must be {SEED_BYTES} bytes in URL-safe base64; "
                                   f"generate one with {GENERATE}")
        if any(kid == other for other, _ in entries):
            raise EvidenceKeyError(f"{SETTING}: key id {kid!r} is listed twice")
        entries.append((kid, Ed25519PrivateKey.from_private_bytes(seed)))
    if not entries:
        raise EvidenceKeyError(f"{SETTING} (or $PORTAL_EVIDENCE_KEY) is not set; generate one with {GENERATE}")
    return EvidenceKeyring(tuple(entries))


def setting_value(settings) -> str:
    """The configured keys, or the published development key when none is set (production refuses it)."""
    return str((settings or {}).get(SETTING, "") or "").strip() or DEVELOPMENT_KEY


def from_settings(settings) -> EvidenceKeyring:
    return parse(setting_value(settings))
