"""Shared services, created once at start-up and found through the registry."""
from ..settings import SettingsError
from .crypto import FieldCipher
from .media import LocalMediaStore
from .pagecache import GenerationWatch, PageCache
from .ratelimit import IRateLimiter, MemoryRateLimiter, RedisRateLimiter
from .receipts import ReceiptHasher

RATE_LIMIT_BACKENDS = {"memory": lambda settings: MemoryRateLimiter(), "redis": RedisRateLimiter.from_settings}


def make_rate_limiter(settings):
    """The limiter named by portal.ratelimit.backend: memory (one server) or redis (several)."""
    backend = str(settings.get("portal.ratelimit.backend", "memory")).strip().lower()
    if backend not in RATE_LIMIT_BACKENDS:
        raise SettingsError(f"portal.ratelimit.backend must be one of {', '.join(RATE_LIMIT_BACKENDS)}, "
                            f"not {backend!r}")
    return RATE_LIMIT_BACKENDS[backend](settings)


def includeme(config):
    settings = config.get_settings()
    registry = config.registry
    registry["field_cipher"] = FieldCipher.from_setting(
        settings["portal.field_keys"], settings["portal.field_key_id"]
    )
    registry["receipt_hasher"] = ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8"))
    registry["media_store"] = LocalMediaStore(settings["portal.media_dir"])
    config.include(".upload_stream")  # tip forms: files streamed to disk as they arrive
    registry.registerUtility(make_rate_limiter(settings), IRateLimiter)
    seconds = float(settings["portal.page_cache_seconds"])
    if seconds > 0:
        registry["page_cache"] = PageCache(seconds, max_entries=int(settings["portal.page_cache_entries"]))
        registry["page_cache_watch"] = GenerationWatch(
            registry["db_engine"], float(settings["portal.page_cache_check_seconds"]))
        # Served in front of the whole stack: portal.main wraps the WSGI application (pagecache.wrap).
    config.add_request_method(
        lambda request: request.registry.getUtility(IRateLimiter), "rate_limiter", reify=True
    )
