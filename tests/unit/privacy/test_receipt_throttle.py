"""Guessing receipt codes is slowed by wrong codes only; a right code is never refused for being right."""
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.abuse import pow as pow_service
from portal.abuse.ratelimit import MemoryRateLimiter
from portal.privacy import receipt_throttle as throttle
from portal.privacy import receipts

FREE = 3


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def visitor(dummy_request, clock, monkeypatch):
    settings = dummy_request.registry.settings
    for name, value in (("free_wrong_per_address", FREE), ("free_wrong_per_prefix", 100),
                        ("first_delay_seconds", 2), ("max_delay_seconds", 60), ("hashes_per_second", 1000)):
        monkeypatch.setitem(settings, f"portal.receipt.{name}", str(value))
    limiter = MemoryRateLimiter(clock=clock)
    dummy_request.set_property(lambda r: limiter, "rate_limiter", reify=True)
    return dummy_request


def code_for(request, subject_id=7):
    return receipts.issue(request.dbsession, request.registry["receipt_hasher"], "tip", subject_id)


def wrong_code(right: str) -> str:
    return "".join("1" if c != "1" else "2" for c in right)


def solved(request, bits):
    challenge = pow_service.issue(request, bits=bits)
    return f"{challenge}:{pow_service.solve(challenge)}"


def waited(request, seconds):
    return pow_service.issue(request, now=time.time() - seconds - 1, bits=30) + ":"


def test_the_delay_doubles_past_the_free_allowance_up_to_the_longest():
    assert [throttle.delay_after(n, 3, 2, 60) for n in range(9)] == [0, 0, 0, 2, 4, 8, 16, 32, 60]
    assert throttle.delay_after(10**9, 3, 2, 60) == 60  # no overflow


@given(st.floats(min_value=0.001, max_value=10_000))
def test_more_waiting_never_asks_for_less_work(seconds):
    class R:
        class registry:
            settings = {"portal.receipt.hashes_per_second": "100000"}
    assert 1 <= throttle.bits_for(R, seconds) <= throttle.bits_for(R, seconds * 2) <= pow_service.MAX_BITS


def test_right_codes_cost_nothing_and_wrong_ones_are_free_up_to_the_allowance(visitor):
    code = code_for(visitor)
    for _ in range(20):  # a family checking again and again from a carrier's address
        assert receipts.lookup_for_request(visitor, code).subject_id == 7
    for _ in range(FREE):
        assert receipts.lookup_for_request(visitor, wrong_code(code)) is None
    assert throttle.wait_due(visitor, None) == 2


def test_past_the_allowance_a_check_waits_and_right_and_wrong_get_the_same_answer(visitor, clock):
    code = code_for(visitor)
    for _ in range(FREE):
        receipts.lookup_for_request(visitor, wrong_code(code))
    for typed in (code, wrong_code(code)):
        with pytest.raises(throttle.Slowed) as slowed:
            receipts.lookup_for_request(visitor, typed)
        assert slowed.value.status == 429 and slowed.value.retry_after == 2
    clock.now += 2.5  # the wait is counted from the last wrong code
    assert receipts.lookup_for_request(visitor, code).subject_id == 7


def test_work_pays_the_wait_once_and_an_easier_challenge_does_not(visitor):
    code = code_for(visitor)
    for _ in range(FREE + 3):  # 3 wrong past the allowance: the wait is 2 * 2**3 = 16 s
        try:
            receipts.lookup_for_request(visitor, wrong_code(code), proof=solved(visitor, 30 - 16))
        except throttle.Slowed:
            pass
    due = throttle.wait_due(visitor, None)
    needed = throttle.bits_for(visitor, due)
    with pytest.raises(throttle.Slowed):
        receipts.lookup_for_request(visitor, code, proof=solved(visitor, needed - 1))
    proof = solved(visitor, needed)
    assert receipts.lookup_for_request(visitor, code, proof=proof).subject_id == 7  # never refused for being right
    with pytest.raises(throttle.Slowed):  # the same proof a second time pays nothing
        receipts.lookup_for_request(visitor, wrong_code(code), proof=proof)


def test_without_javascript_waiting_pays_but_one_check_per_wait(visitor):
    code = code_for(visitor)
    for _ in range(FREE):
        receipts.lookup_for_request(visitor, wrong_code(code))
    forms = [waited(visitor, 5) for _ in range(3)]  # three forms opened at once, filled in together
    assert receipts.lookup_for_request(visitor, wrong_code(code), proof=forms[0]) is None
    for proof in forms[1:]:
        with pytest.raises(throttle.Slowed):
            receipts.lookup_for_request(visitor, code, proof=proof)


def test_a_session_that_opened_a_code_skips_the_wait_for_that_code_only(visitor):
    code, other = code_for(visitor, 7), code_for(visitor, 8)
    assert receipts.lookup_for_request(visitor, code).subject_id == 7
    for _ in range(FREE + 2):
        try:
            receipts.lookup_for_request(visitor, wrong_code(code))
        except throttle.Slowed:
            pass
    assert receipts.lookup_for_request(visitor, code).subject_id == 7  # the reporter answering on /status
    with pytest.raises(throttle.Slowed):
        receipts.lookup_for_request(visitor, other)
    with pytest.raises(throttle.Slowed):
        receipts.lookup_for_request(visitor, wrong_code(code))
    assert code not in str(dict(visitor.session)) and receipts.normalize(code) not in str(dict(visitor.session))


def test_wrong_codes_count_per_prefix_across_addresses(visitor, monkeypatch):
    monkeypatch.setitem(visitor.registry.settings, "portal.receipt.free_wrong_per_prefix", "2")
    code = code_for(visitor)
    guess = code[:4] + wrong_code(code)[4:]
    for n in range(2):  # a guesser moving from address to address, same prefix
        visitor.environ["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        assert receipts.lookup_for_request(visitor, guess) is None
    visitor.environ["REMOTE_ADDR"] = "203.0.113.99"
    with pytest.raises(throttle.Slowed):
        receipts.lookup_for_request(visitor, guess)
    other_prefix = wrong_code(code)  # a different first four digits: not slowed for this address
    assert receipts.lookup_for_request(visitor, other_prefix) is None


def test_parallel_no_javascript_checks_get_one_through(visitor):
    code = code_for(visitor)
    for _ in range(FREE):
        receipts.lookup_for_request(visitor, wrong_code(code))
    proofs = [waited(visitor, 5) for _ in range(8)]
    results, barrier = [], threading.Barrier(len(proofs))

    def check(proof):
        barrier.wait()
        results.append(throttle.paid(visitor, proof, 2))
    threads = [threading.Thread(target=check, args=(p,)) for p in proofs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
