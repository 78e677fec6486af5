"""Encryption at rest for protected fields (AES-256-GCM, with key ids so keys can rotate)."""
import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class FieldCipherError(Exception):
    pass


class FieldCipher:
    """Encrypts with the current key; decrypts with whichever key the token names.

    Tokens look like ``<key id>$<base64(nonce || ciphertext)>``. The label (e.g. "tip.contact")
    is bound as associated data, so a ciphertext moved to another field will not decrypt."""

    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise FieldCipherError(f"current key id {current!r} is not among the configured keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise FieldCipherError(f"key {kid!r} must be 32 bytes (AES-256)")
            if "$" in kid:
                raise FieldCipherError("key ids may not contain '$'")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    @classmethod
    def from_setting(cls, keys_setting: str, current: str) -> "FieldCipher":
        """Parse ``kid:base64key`` pairs separated by whitespace or commas."""
        keys = {}
        for item in keys_setting.replace(",", " ").split():
            kid, _, b64 = item.partition(":")
            try:
                keys[kid] = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            except ValueError as exc:
                raise FieldCipherError(f"key {kid!r} is not valid base64") from exc
        return cls(keys, current)

    def encrypt(self, plaintext: str, label: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.current].encrypt(nonce, plaintext.encode("utf-8"), label.encode())
        return f"{self.current}${base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, label: str) -> str:
        kid, sep, body = (token or "").partition("$")
        if not sep or kid not in self._keys:
            raise FieldCipherError("unknown key id")
        try:
            raw = base64.b64decode(body, validate=True)
            return self._keys[kid].decrypt(raw[:12], raw[12:], label.encode()).decode("utf-8")
        except (ValueError, InvalidTag) as exc:
            raise FieldCipherError("ciphertext does not verify") from exc

    def needs_reencrypt(self, token: str) -> bool:
        return not (token or "").startswith(self.current + "$")


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")
