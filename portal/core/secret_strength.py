"""Production refuses weak secrets: published ones, keys of the wrong size or of one repeated byte,
and secrets too short or too regular to be random (README: "Production").

Every problem names the setting (and a field key's id, which is not secret), never the value, and
says how to generate a good one. Development and tests run with the published development values:
only `portal.production = true` turns these checks on."""
import base64
import binascii
import math
import os
from collections import Counter
from configparser import ConfigParser

from pyramid.settings import asbool

from portal.core.evidence_keys import GENERATE as GENERATE_EVIDENCE_KEY

FIELD_KEYS = "portal.field_keys"
FIELD_KEY_BYTES = 32  # AES-256
# Secrets that are text (any characters); field keys are checked as keys below. A setting added later
# whose name ends like one of SECRET_SUFFIXES is checked as text too.
TEXT_SECRETS = ("portal.session_secret", "portal.receipt_pepper")
AUDIT_KEY = "portal.audit_key"
EVIDENCE_KEY = "portal.evidence_key"  # Ed25519 seeds (core/evidence_keys.py), held to the field-key rules
SECRET_SUFFIXES = ("_secret", "_pepper", ".secret", ".pepper", "_hmac_key", ".hmac_key")
MIN_SECRET_CHARS = 32
MIN_SECRET_BITS = 128  # estimated: length x the Shannon entropy of its own characters
MAX_RUN = 6  # this many characters counting up or down by one ("abcdef", "654321") is a pattern
MIN_KEY_DISTINCT_BYTES = 16  # 32 random bytes have about 30 different values

GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'  # noqa: S105 - a command
GENERATE_KEY = ("python -c \"import base64, os; print('k1:' + base64.urlsafe_b64encode(os.urandom(32))"
                ".decode().rstrip('='))\" (a field key is <key id>:<32 random bytes in URL-safe base64>)")

# Values published in this repository (development.ini, the tests, the benchmarks): anyone has them.
PUBLISHED_TEXT = frozenset({
    "dev-only-session-secret-change-me-0123456789abcdef",
    "dev-only-receipt-pepper-0123456789",
    "test-session-secret-0123456789abcdef0123456789",
    "test-receipt-pepper-0123456789",
    "bench-session-secret-0123456789abcdef0123",
    "bench-receipt-pepper-0123456789",
})
PUBLISHED_KEYS = frozenset({
    "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLTAwMDA",  # development.ini
    "dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtMDAwMDAwMDA",  # tests
    "b2xkLXRlc3Qta2V5LTMyLWJ5dGVzLTAwMDAwMDAwMDA",
    "YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA",  # bench/
    "YmVuY2gtd2VpZ2h0LWtleS0zMi1ieXRlcy0wMDAwMDA",
    "ZGV2LW9ubHktZXZpZGVuY2Uta2V5LTMyLWJ5dGVzLTA",  # core/evidence_keys.py DEVELOPMENT_KEY
    "dGVzdC1ldmlkZW5jZS1rZXktMzItYnl0ZXMtMDAwMDA",  # tests' evidence key
})
DEVELOPMENT_INI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "development.ini")


def is_production(settings) -> bool:
    return asbool(settings.get("portal.production", False))


def decode_key(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None


def parse_field_keys(value: str) -> list[tuple[str, str]]:
    """(key id, base64 text) pairs, as privacy/crypto.py FieldCipher.from_setting reads them."""
    return [(item.partition(":")[0], item.partition(":")[2]) for item in value.replace(",", " ").split()]


def published(ini_path: str = DEVELOPMENT_INI) -> tuple[set[str], set[bytes]]:
    """Every published text secret and field key (as bytes), with those of development.ini when the
    source tree is at hand, so a value changed there is refused without a change here."""
    texts, keys = set(PUBLISHED_TEXT), {decode_key(k) for k in PUBLISHED_KEYS}
    if os.path.exists(ini_path):
        parser = ConfigParser(interpolation=None)
        parser.read(ini_path, encoding="utf-8")
        section = parser["app:main"] if parser.has_section("app:main") else {}
        for name, value in section.items():
            if name in (FIELD_KEYS, EVIDENCE_KEY):
                keys.update(decode_key(b64) for _kid, b64 in parse_field_keys(value))
            elif name == AUDIT_KEY:
                texts.update(secret for _kid, secret in parse_field_keys(value))
            elif is_text_secret(name) and value.strip():
                texts.add(value.strip())
    keys.discard(None)
    return texts, keys


def is_text_secret(name: str) -> bool:
    return name in TEXT_SECRETS or (name.startswith("portal.") and name.endswith(SECRET_SUFFIXES))


def estimated_bits(text: str) -> float:
    counts = Counter(text)
    per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return per_char * len(text)


def is_periodic(text: str) -> bool:
    """A shorter string repeated ("abab...", "x" * 40)."""
    return any(text == (text[:period] * (len(text) // period + 1))[:len(text)]
               for period in range(1, len(text) // 2 + 1))


def has_run(text: str, length: int = MAX_RUN) -> bool:
    """`length` characters each one more (or one less) than the one before: "0123456", "fedcba"."""
    up = down = 1
    for before, after in zip(text, text[1:], strict=False):
        step = ord(after) - ord(before)
        up, down = (up + 1 if step == 1 else 1), (down + 1 if step == -1 else 1)
        if up >= length or down >= length:
            return True
    return False


def text_secret_problem(value: str, published_texts: set[str]) -> str | None:
    if value in published_texts or "dev-only" in value:
        return "is a published development or test value"
    if len(value) < MIN_SECRET_CHARS:
        return f"is shorter than {MIN_SECRET_CHARS} characters"
    if is_periodic(value):
        return "is one character or one short string repeated"
    if has_run(value):
        return "contains a run of consecutive characters (such as 0123456 or abcdef)"
    if estimated_bits(value) < MIN_SECRET_BITS:
        return f"has too few different characters to hold {MIN_SECRET_BITS} bits of randomness"
    return None


def field_key_problem(b64: str, published_keys: set[bytes]) -> str | None:
    key = decode_key(b64)
    if key is None:
        return "is not URL-safe base64"
    if key in published_keys:
        return "is a published development or test key"
    if len(key) != FIELD_KEY_BYTES:
        return f"is {len(key)} bytes, not {FIELD_KEY_BYTES}"
    if len(set(key)) == 1:
        return "is one byte repeated (such as all zeros)"
    if len(set(key)) < MIN_KEY_DISTINCT_BYTES or all(0x20 <= b < 0x7F for b in key):
        return "is not random bytes (too few different bytes, or readable text)"
    return None


def weak_secrets(settings, ini_path: str = DEVELOPMENT_INI) -> list[str]:
    """Every problem with the secrets of these settings, one line each, naming the setting only."""
    texts, keys = published(ini_path)
    problems = []
    for name in sorted(k for k in settings if is_text_secret(k)):
        problem = text_secret_problem(str(settings[name] or "").strip(), texts)
        if problem:
            problems.append(f"{name} {problem}; generate one with: {GENERATE_SECRET}")
    field_keys = parse_field_keys(str(settings.get(FIELD_KEYS) or ""))
    if not field_keys:
        problems.append(f"{FIELD_KEYS} holds no key; generate one with: {GENERATE_KEY}")
    for kid, b64 in field_keys:
        problem = field_key_problem(b64, keys)
        if problem:
            problems.append(f"{FIELD_KEYS}: the key with id {kid!r} {problem}; generate one with: {GENERATE_KEY}")
    # The audit key: `id:secret` entries, each secret held to the text-secret rule (audit/chain.py).
    for kid, secret in parse_field_keys(str(settings.get(AUDIT_KEY) or "")):
        problem = text_secret_problem(secret.strip(), texts)
        if problem:
            problems.append(f"{AUDIT_KEY}: the key with id {kid!r} {problem}; generate one with: "
                            f"python -c \"import secrets; print('a1:' + secrets.token_urlsafe(48))\"")
    evidence = parse_field_keys(str(settings.get(EVIDENCE_KEY) or ""))
    if not evidence:
        problems.append(f"{EVIDENCE_KEY} holds no key (it signs evidence packages); generate one with: "
                        f"{GENERATE_EVIDENCE_KEY}")
    for kid, b64 in evidence:
        problem = field_key_problem(b64, keys)
        if problem:
            problems.append(f"{EVIDENCE_KEY}: the key with id {kid!r} {problem}; generate one with: "
                            f"{GENERATE_EVIDENCE_KEY}")
    current = str(settings.get("portal.field_key_id") or "").strip()
    if field_keys and current not in {kid for kid, _b64 in field_keys}:
        problems.append(f"portal.field_key_id names no key listed in {FIELD_KEYS}")
    return problems
