"""HTTP caching by a shared proxy (Varnish with xkey, deploy/varnish): which answers it may keep, for
how long, and under which tags a change purges them.

A public view calls `shared(request, "notice-12", "unit-139910")`. Its answer then carries
`Cache-Control: public, max-age=<portal.cache.max_age>, s-maxage=<portal.cache.s_maxage>,
stale-while-revalidate=<portal.cache.stale_while_revalidate>, stale-if-error=<portal.cache.stale_if_error>`
(RFC 5861: how long the proxy may still serve the copy when no app server answers; a purge ends it
all the same) and the tag header
(`portal.cache.tag_header`, `xkey` by default; the proxy removes it before the client) naming what it
shows, but only when nobody could be told apart by it: a GET or HEAD without the session cookie or an
Authorization header, whose answer sets no cookie. Anything else (a session, a form, a receipt, a
POST, an answer no view declared shared) is `private, no-store`, or keeps the stricter value its view
chose. Changes purge the tags after their commit (outbox/purges.py), so s-maxage can be long: it only
bounds what no change announces."""
from pyramid.events import NewResponse

SESSION_COOKIE = "portal_session"
SHAREABLE_METHODS = ("GET", "HEAD")
# Answers a proxy may keep for a declared public view: the page, a redirect, a notice gone for good.
SHAREABLE_STATUS = (200, 203, 301, 404, 410)
PRIVATE = "private, no-store"
STATIC = "/static/"
DEFAULTS = {
    "portal.cache.max_age": "30",  # browsers: short, nothing purges them
    "portal.cache.s_maxage": "86400",  # the proxy: long, every change purges what it shows
    "portal.cache.stale_while_revalidate": "30",
    "portal.cache.stale_if_error": "86400",  # an outage of the app servers: notices stay readable a day
    "portal.cache.tag_header": "xkey",
}


def shared(request, *tags: str, vary_language: bool = True) -> None:
    """Declare this answer the same for every anonymous visitor (in its language), shown under `tags`."""
    request.cache_tags = tuple(dict.fromkeys(t for t in tags if t))
    request.cache_vary_language = vary_language


def anonymous(request) -> bool:
    return SESSION_COOKIE not in request.cookies and "Authorization" not in request.headers


class CachePolicy:
    def __init__(self, settings):
        def value(name):
            return int(settings.get(name) or DEFAULTS[name])

        self.public = (f"public, max-age={value('portal.cache.max_age')}, s-maxage={value('portal.cache.s_maxage')}, "
                       f"stale-while-revalidate={value('portal.cache.stale_while_revalidate')}, "
                       f"stale-if-error={value('portal.cache.stale_if_error')}")
        self.tag_header = (settings.get("portal.cache.tag_header") or DEFAULTS["portal.cache.tag_header"]).strip()

    def __call__(self, event):
        request, response = event.request, event.response
        tags = getattr(request, "cache_tags", None)
        headers = response.headers
        if tags is not None and self.shareable(request, response):
            headers["Cache-Control"] = self.public
            if tags:
                headers[self.tag_header] = " ".join(tags)
            if request.cache_vary_language:  # the language: Accept-Language, or the lang cookie
                response.vary = tuple(dict.fromkeys((*(response.vary or ()), "Accept-Language", "Cookie")))
            return
        headers.pop(self.tag_header, None)
        if request.path_info.startswith(STATIC):  # the same files for everyone, whoever asks
            return
        current = headers.get("Cache-Control", "")
        if (tags is not None or "public" in current) and not self.shareable(request, response, declared=False):
            headers["Cache-Control"] = PRIVATE  # a public answer, but for a session or a POST
        elif not current:
            headers["Cache-Control"] = PRIVATE

    @staticmethod
    def shareable(request, response, declared=True) -> bool:
        if request.method not in SHAREABLE_METHODS or not anonymous(request) or "Set-Cookie" in response.headers:
            return False
        return response.status_int in SHAREABLE_STATUS if declared else True


def includeme(config):
    config.add_subscriber(CachePolicy(config.get_settings()), NewResponse)
