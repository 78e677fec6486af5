"""The audit key: the secret every audit event and every checkpoint is sealed with (HMAC-SHA256).

It comes from the settings (`portal.audit_key`, or $PORTAL_AUDIT_KEY) and is never stored in the
database, so whoever can write the database but does not hold the key cannot forge a seal. The
setting holds one or more `id:secret` entries separated by spaces: the first seals new events and
checkpoints, the others only verify (rotation: put the new key first and keep the old one listed).
Each event and checkpoint records the id of the key that sealed it."""
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

SETTING = "portal.audit_key"
MIN_SECRET_LENGTH = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
GENERATE = "python -c \"import secrets; print('a1:' + secrets.token_urlsafe(32))\""


class AuditKeyError(Exception):
    pass


@dataclass(frozen=True)
class AuditKeyring:
    current_id: str
    secrets: tuple[tuple[str, bytes], ...]

    def knows(self, key_id: str) -> bool:
        return any(kid == key_id for kid, _ in self.secrets)

    def mac(self, key_id: str, message: bytes) -> str | None:
        """HMAC-SHA256 of the message under the named key, hex; None for a key id not configured."""
        for kid, secret in self.secrets:
            if kid == key_id:
                return hmac.new(secret, message, hashlib.sha256).hexdigest()
        return None

    def matches(self, key_id: str, message: bytes, seal: str) -> bool:
        expected = self.mac(key_id, message)
        return expected is not None and hmac.compare_digest(expected, seal or "")

    @property
    def ids(self) -> list[str]:
        return [kid for kid, _ in self.secrets]


@lru_cache(maxsize=8)
def parse(value: str) -> AuditKeyring:
    """`a2:new-secret a1:old-secret` -> a keyring that seals with a2 and verifies with both."""
    entries = []
    for item in (value or "").replace(",", " ").split():
        kid, sep, secret = item.partition(":")
        if not sep or not _KEY_ID.match(kid):
            raise AuditKeyError(f"{SETTING}: each key is id:secret, the id 1-16 letters, digits, - or _")
        if len(secret) < MIN_SECRET_LENGTH:
            raise AuditKeyError(f"{SETTING}: key {kid!r} must have at least {MIN_SECRET_LENGTH} characters; "
                                f"generate one with {GENERATE}")
        if any(kid == other for other, _ in entries):
            raise AuditKeyError(f"{SETTING}: key id {kid!r} is listed twice")
        entries.append((kid, secret.encode("utf-8")))
    if not entries:
        raise AuditKeyError(f"{SETTING} (or $PORTAL_AUDIT_KEY) is not set; generate one with {GENERATE}")
    return AuditKeyring(entries[0][0], tuple(entries))


def from_settings(settings) -> AuditKeyring:
    return parse(str((settings or {}).get(SETTING, "") or ""))
