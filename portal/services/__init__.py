"""Shared services, created once at start-up and found through the registry."""
from .crypto import FieldCipher
from .media import LocalMediaStore
from .pagecache import GenerationWatch, PageCache
from .ratelimit import IRateLimiter, MemoryRateLimiter
from .receipts import ReceiptHasher


def includeme(config):
    settings = config.get_settings()
    registry = config.registry
    registry["field_cipher"] = FieldCipher.from_setting(
        settings["portal.field_keys"], settings["portal.field_key_id"]
    )
    registry["receipt_hasher"] = ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8"))
    registry["media_store"] = LocalMediaStore(settings["portal.media_dir"])
    registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    seconds = float(settings["portal.page_cache_seconds"])
    if seconds > 0:
        registry["page_cache"] = PageCache(seconds, max_entries=int(settings["portal.page_cache_entries"]))
        registry["page_cache_watch"] = GenerationWatch(
            registry["db_engine"], float(settings["portal.page_cache_check_seconds"]))
        # Served in front of the whole stack: portal.main wraps the WSGI application (pagecache.wrap).
    config.add_request_method(
        lambda request: request.registry.getUtility(IRateLimiter), "rate_limiter", reify=True
    )
