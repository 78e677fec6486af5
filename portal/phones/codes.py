"""The pure parts of a phone check: numbers as people type them, codes, and their keyed hashes."""
import hashlib
import hmac
import secrets

CODE_DIGITS = 6
MIN_DIGITS, MAX_DIGITS = 6, 15  # E.164 numbers have at most 15 digits
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
_SEPARATORS = set(" -().\u3000\t")


def normalize_number(typed: str | None) -> str | None:
    """The number as one string of digits (with a leading + for an international one), or None when
    it is not a phone number. "+86 139-1234-5678", "0086 13912345678" and "13912345678" are one
    number: China's country code is dropped from mobile numbers, as people type them at home."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    text = "".join(ch for ch in typed.translate(_FULL_WIDTH) if ch not in _SEPARATORS)
    if text.startswith("00"):
        text = "+" + text[2:]
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit() or not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    if plus and digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        return digits[2:]  # +86 1xx xxxx xxxx: a mainland mobile number
    return ("+" if plus else "") + digits


def normalize_code(typed: str | None) -> str | None:
    """Six ASCII digits, from what was typed (full-width digits and spaces allowed), or None."""
    if not isinstance(typed, str) or len(typed) > 20:
        return None
    code = "".join(ch for ch in typed.translate(_FULL_WIDTH) if ch not in _SEPARATORS)
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


class PhoneHasher:
    """Keyed hashes (HMAC-SHA256) under a key derived from the session secret: a copy of the database
    alone gives neither the numbers nor the codes (a 6-digit code's hash could otherwise be reversed
    by trying all million)."""

    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode("utf-8"), b"portal.phones.v1", hashlib.sha256).digest()

    def number(self, normalized: str) -> str:
        return hmac.new(self._key, b"number:" + normalized.encode("ascii"), hashlib.sha256).hexdigest()

    def code(self, salt: str, number_hash: str, code: str) -> str:
        message = f"code:{salt}:{number_hash}:{code}".encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def matches(self, salt: str, number_hash: str, code: str, stored: str) -> bool:
        """Constant-time: how much of a wrong code is right never shows in the time taken."""
        return hmac.compare_digest(self.code(salt, number_hash, code), stored)


def mask(normalized: str) -> str:
    """What a page shows of the number: enough for its owner to recognise, e.g. ***5678."""
    return "***" + normalized[-4:]
