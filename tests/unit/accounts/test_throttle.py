"""accounts/throttle.py: the wait a username's failures cost, per address and bounded."""
import pytest

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RateLimited
from portal.accounts import throttle
from tests.factories import FakeClock


@pytest.fixture
def clock(dummy_request, app):
    clock = FakeClock()
    app.registry.registerUtility(MemoryRateLimiter(clock=clock), IRateLimiter)
    dummy_request.__dict__.pop("rate_limiter", None)  # reified: take the one just registered
    return clock


def test_the_wait_doubles_from_the_fifth_failure_and_is_capped(dummy_request, clock):
    waits = [throttle.failed(dummy_request, "Someone") for _ in range(12)]
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    clock.now += 600
    assert throttle.account_wait(dummy_request, " someone ") == 300  # the same username, however typed
    clock.now += 300
    assert throttle.account_wait(dummy_request, "someone") == 0
    clock.now += 3600
    assert throttle.failed(dummy_request, "someone") == 0  # an hour later, forgotten


def test_the_wait_holds_only_for_addresses_that_failed(dummy_request, clock):
    for _ in range(6):
        throttle.failed(dummy_request, "mod")
    with pytest.raises(RateLimited) as refused:
        throttle.check_account(dummy_request, "mod")
    assert refused.value.status == 429 and refused.value.retry_after == 60
    dummy_request.environ["REMOTE_ADDR"] = "198.51.100.99"
    throttle.check_account(dummy_request, "mod")  # no failures from here: may try
    throttle.succeeded(dummy_request, "mod")
    assert throttle.account_wait(dummy_request, "mod") == 0


def test_an_address_with_too_many_failures_is_refused_whatever_the_username(dummy_request, clock):
    for n in range(20):
        throttle.check_address(dummy_request)
        throttle.failed(dummy_request, f"user{n}")
    with pytest.raises(RateLimited) as refused:
        throttle.check_address(dummy_request)
    assert 0 < refused.value.retry_after <= 3600
    clock.now += 3601
    throttle.check_address(dummy_request)
