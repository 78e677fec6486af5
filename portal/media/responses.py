"""Serving a photo's derived copies (never the original, which stays as evidence)."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

PRIVATE = "private, no-store"


def copy_response(request, media, *, thumb: bool = False, cache_control: str = PRIVATE,
                  content_type: str = "image/jpeg", key: str | None = None) -> Response:
    """The re-encoded public copy (or its thumbnail) of `media`, or another of its copies by `key` (a
    staff copy or its poster); 404 when there is none. Callers have already decided who may see it; the
    default keeps it out of every shared cache. A cleaned video copy (tips) passes its own content type."""
    if media is not None and key is None:
        key = media.thumb_key if thumb else media.public_key
    store = request.registry["media_store"]
    if key is None or not store.exists(key):
        raise HTTPNotFound()
    response = store.response(request, key, content_type)
    response.cache_control = cache_control
    return response
