"""services/pow.py: signed challenges, solutions, the no-JavaScript path and every refusal."""
import hashlib
from types import SimpleNamespace

import pytest

from portal.abuse import pow
from portal.abuse.ratelimit import MemoryRateLimiter
from tests.factories import solve_pow

SECRET = "test-session-secret-0123456789abcdef0123456789"
NOW = 1_750_000_000.0


def fake_request(bits=4, min_fill=3, secret=SECRET, limiter=None):
    settings = {"portal.session_secret": secret, "portal.pow.bits": str(bits),
                "portal.pow.min_fill_seconds": str(min_fill)}
    return SimpleNamespace(registry=SimpleNamespace(settings=settings), rate_limiter=limiter or MemoryRateLimiter())


def refusal(request, value, now=NOW + 10):
    with pytest.raises(pow.PowRefused) as info:
        pow.verify(request, value, now=now)
    return info.value.message


def wrong_nonce(challenge):
    return next(str(n) for n in range(1000) if not pow.is_solution(challenge, str(n), 4))


def test_a_challenge_is_signed_random_and_carries_time_and_difficulty():
    request = fake_request(bits=12)
    first, second = pow.issue(request, now=NOW), pow.issue(request, now=NOW)
    assert first != second  # a random id each time
    parsed = pow.parse(request, first)
    assert (parsed.issued, parsed.bits, parsed.value) == (int(NOW), 12, first)
    assert ":" not in first  # the form joins challenge and nonce with ":"


def test_the_signing_key_is_derived_and_labelled_not_the_secret_itself():
    request = fake_request()
    challenge = pow.issue(request, now=NOW)
    body, _, signature = challenge.rpartition(".")
    assert pow._sign(SECRET.encode(), body) != signature
    assert pow._sign(pow._key(request.registry.settings), body) == signature


def test_a_solved_challenge_is_accepted_once():
    request = fake_request()
    challenge = pow.issue(request, now=NOW)
    nonce = solve_pow(challenge)
    assert pow.is_solution(challenge, nonce, 4)
    assert hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()[0] >> 4 == 0  # 4 leading zero bits
    assert pow.verify(request, f"{challenge}:{nonce}", now=NOW + 1) is True
    assert refusal(request, f"{challenge}:{nonce}") == pow.REPLAYED


def test_a_replay_is_refused_by_another_server_sharing_the_limiter_backend():
    shared = MemoryRateLimiter()  # stands in for Redis: the used ids live in the shared backend
    server_a, server_b = fake_request(limiter=shared), fake_request(limiter=shared)
    challenge = pow.issue(server_a, now=NOW)
    value = f"{challenge}:{solve_pow(challenge)}"
    assert pow.verify(server_a, value, now=NOW + 1)
    assert refusal(server_b, value) == pow.REPLAYED
    assert refusal(fake_request(), "") == pow.FORGED  # and a fresh server still checks the signature


def test_without_javascript_the_form_must_have_been_open_long_enough():
    request = fake_request(min_fill=3)
    slow, fast = pow.issue(request, now=NOW), pow.issue(request, now=NOW)
    assert pow.verify(request, f"{slow}:", now=NOW + 3) is False
    assert refusal(request, f"{fast}:", now=NOW + 2) == pow.TOO_FAST
    assert pow.verify(request, f"{fast}:", now=NOW + 5) is False  # a too-fast try does not burn it
    assert refusal(request, f"{slow}:", now=NOW + 6) == pow.REPLAYED  # the no-JS path is single-use too


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace(".4.", ".0.", 1),  # an easier difficulty
    lambda c: c.replace(f".{int(NOW)}.", f".{int(NOW) + 3600}.", 1),  # a later issue time
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # a changed signature
    lambda c: "v2" + c[2:],
    lambda c: c.rpartition(".")[0],  # no signature
    lambda c: "v1.x.1.0.",
    lambda c: "",
    lambda c: "nonsense",
    lambda c: c + "é",
])
def test_a_forged_or_tampered_challenge_is_refused(tamper):
    request = fake_request()
    challenge = pow.issue(request, now=NOW)
    forged = tamper(challenge)
    assert refusal(request, f"{forged}:{pow.solve(forged, 0) if forged else ''}") == pow.FORGED


def test_a_challenge_signed_with_another_secret_is_refused():
    other = fake_request(secret="another-secret-0123456789abcdef0123456789")
    challenge = pow.issue(other, now=NOW)
    assert refusal(fake_request(), f"{challenge}:{solve_pow(challenge)}") == pow.FORGED


def test_a_wrong_or_oversized_nonce_is_refused():
    request = fake_request()
    challenge = pow.issue(request, now=NOW)
    assert refusal(request, f"{challenge}:{wrong_nonce(challenge)}") == pow.WRONG
    assert refusal(request, f"{challenge}:{'0' * 33}") == pow.WRONG
    assert refusal(request, f"{challenge}:１２") == pow.WRONG
    # The refusals did not burn it: the right answer still counts (once).
    assert pow.verify(request, f"{challenge}:{solve_pow(challenge)}", now=NOW + 10)


def test_an_expired_or_future_challenge_is_refused():
    request = fake_request()
    old = pow.issue(request, now=NOW - pow.MAX_AGE_SECONDS - 1)
    assert refusal(request, f"{old}:{solve_pow(old)}", now=NOW) == pow.EXPIRED
    assert refusal(request, f"{old}:", now=NOW) == pow.EXPIRED
    future = pow.issue(request, now=NOW + 3600)
    assert refusal(request, f"{future}:{solve_pow(future)}", now=NOW) == pow.FORGED
    skewed = pow.issue(request, now=NOW + 30)  # another server's clock, a little ahead
    assert pow.verify(request, f"{skewed}:{solve_pow(skewed)}", now=NOW)


def test_raising_the_difficulty_retires_easier_challenges():
    easy = pow.issue(fake_request(bits=4), now=NOW)
    assert refusal(fake_request(bits=8), f"{easy}:{solve_pow(easy)}") == pow.EXPIRED
    hard = pow.issue(fake_request(bits=8), now=NOW)
    assert pow.verify(fake_request(bits=4), f"{hard}:{solve_pow(hard)}", now=NOW + 1)


def test_the_solution_really_needs_the_difficulty():
    request = fake_request(bits=12)
    challenge = pow.issue(request, now=NOW)
    nonce = solve_pow(challenge)
    assert pow.leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) >= 12
    # The first nonce with 12 zero bits is found after trying every smaller one.
    assert all(not pow.is_solution(challenge, str(n), 12) for n in range(int(nonce)))


def test_leading_zero_bits():
    assert pow.leading_zero_bits(b"\xff") == 0
    assert pow.leading_zero_bits(b"\x01\x00") == 7
    assert pow.leading_zero_bits(b"\x00\x10") == 11
    assert pow.leading_zero_bits(b"\x00\x00") == 16


def test_refusals_carry_a_translatable_message():
    for message in (pow.FORGED, pow.EXPIRED, pow.WRONG, pow.REPLAYED, pow.TOO_FAST):
        assert message.domain == "portal" and len(message) > 20
    assert pow.PowRefused(pow.WRONG).message is pow.WRONG
