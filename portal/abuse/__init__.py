"""Abuse control without a CAPTCHA: rate limits (in memory or shared in Redis), proof of work, honeypots."""
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RedisRateLimiter
from portal.core.settings import SettingsError

RATE_LIMIT_BACKENDS = {"memory": lambda settings: MemoryRateLimiter(), "redis": RedisRateLimiter.from_settings}


def make_rate_limiter(settings):
    """The limiter named by portal.ratelimit.backend: memory (one server) or redis (several)."""
    backend = str(settings.get("portal.ratelimit.backend", "memory")).strip().lower()
    if backend not in RATE_LIMIT_BACKENDS:
        raise SettingsError(f"portal.ratelimit.backend must be one of {', '.join(RATE_LIMIT_BACKENDS)}, "
                            f"not {backend!r}")
    return RATE_LIMIT_BACKENDS[backend](settings)


def includeme(config):
    config.registry.registerUtility(make_rate_limiter(config.get_settings()), IRateLimiter)
    config.add_request_method(
        lambda request: request.registry.getUtility(IRateLimiter), "rate_limiter", reify=True
    )
