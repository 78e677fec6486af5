"""Receipt codes: 16 random digits shown once, kept only as a slow peppered hash."""
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2.low_level import Type, hash_secret_raw
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.privacy import receipt_throttle as throttle
from portal.privacy.models import Receipt

CODE_DIGITS = 16
# Each hash takes about 19 MB while it runs and the C allocator keeps that in the arena of the
# thread that ran it; one dedicated thread per core caps that at ~19 MB a core whatever the number of
# server threads. Hashing is CPU-bound, so more threads than cores would not answer sooner.
_HASHING = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="receipt-hash")


class ReceiptHasher:
    """argon2id with a per-deployment pepper as salt: slow to brute-force and deterministic, so
    the hash itself is the unique lookup key (no fast index on the code exists)."""

    def __init__(self, pepper: bytes, time_cost: int = 2, memory_cost: int = 19456):
        if len(pepper) < 16:
            raise ValueError("receipt pepper must be at least 16 bytes")
        self.pepper = pepper
        self.time_cost = time_cost
        self.memory_cost = memory_cost

    def hash(self, code: str) -> str:
        return _HASHING.submit(self._hash, code).result()

    def _hash(self, code: str) -> str:
        raw = hash_secret_raw(
            normalize(code).encode("ascii"),
            self.pepper,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        )
        return raw.hex()


def normalize(code: str) -> str:
    """Accept the code as people type it: spaces, dashes, full-width digits."""
    code = (code or "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return "".join(ch for ch in code if ch not in " -\u3000\t")


def is_well_formed(code: str) -> bool:
    code = normalize(code)
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def normalized_if_well_formed(code: str) -> str | None:
    return normalize(code) if is_well_formed(code) else None


def format_code(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def issue(dbsession, hasher: ReceiptHasher, subject_type: str, subject_id: int) -> str:
    """Create a receipt for a submission and return its code; the caller shows it once."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    dbsession.add(Receipt(code_hash=hasher.hash(code), subject_type=subject_type, subject_id=subject_id))
    dbsession.flush()
    return code


def lookup(dbsession, hasher: ReceiptHasher, code: str) -> Receipt | None:
    """The receipt for a code, or None. Malformed codes are hashed too so the answer takes the
    same time either way; callers throttle before calling."""
    return _find(dbsession, _hash_as_typed(hasher, code), is_well_formed(code))


def _hash_as_typed(hasher: ReceiptHasher, code: str) -> str:
    return hasher.hash(normalize(code) if is_well_formed(code) else "0" * CODE_DIGITS + "x")


def _find(dbsession, wanted: str, well_formed: bool) -> Receipt | None:
    receipt = dbsession.execute(
        select(Receipt).where(Receipt.code_hash == wanted)
    ).scalar_one_or_none()
    if receipt is None or not well_formed or not hmac.compare_digest(receipt.code_hash, wanted):
        return None
    receipt.last_used_at = utcnow()
    return receipt


def lookup_for_request(request, code: str, proof: str | None = None) -> Receipt | None:
    """Look a code up for a visitor (receipt_throttle.py says how guessing is slowed). Raises
    throttle.Slowed, without looking at the code, when a wait is due and `proof` (the look-up form's
    proof of work) does not pay it, unless this browser session already opened this very code."""
    well_formed = is_well_formed(code)
    prefix = throttle.prefix_of(normalize(code) if well_formed else None)
    wait = throttle.wait_due(request, prefix)
    wanted = None
    if wait > 0 and not throttle.paid(request, proof, wait):
        wanted = _hash_as_typed(request.registry["receipt_hasher"], code)
        if not throttle.was_opened(request, wanted):
            raise throttle.Slowed(wait)
    if wanted is None:
        wanted = _hash_as_typed(request.registry["receipt_hasher"], code)
    receipt = _find(request.dbsession, wanted, well_formed)
    if receipt is None:
        throttle.record_wrong(request, prefix)
    else:
        throttle.remember_opened(request, wanted)
    return receipt


def lookup_bits(request) -> int:
    """The proof of work a freshly rendered look-up form asks for: the wait due for this address, and
    for the code's prefix when the form comes back with a code in it."""
    code = request.POST.get("code") if request.method == "POST" else None
    prefix = throttle.prefix_of(normalized_if_well_formed(code) if isinstance(code, str) else None)
    return throttle.bits_for(request, throttle.wait_due(request, prefix))
