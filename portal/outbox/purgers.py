"""Purgers: how a purge of cache tags reaches the caching proxies. Chosen by `portal.proxy.purger`:

- `log` (default, no proxy: `make serve`): writes the tags to the log;
- `varnish`: an HTTP `PURGE` with the tags in the `xkey-purge` header to every URL of
  `portal.proxy.purge_urls` (space-separated: one per Varnish; deploy/varnish/safety-portal.vcl
  answers it with xkey.purge from the addresses of its purge ACL only);
- or the dotted path of a class of your own, built with the settings, with `purge(tags)`.

`purge` returns when every proxy dropped the tags and raises otherwise; the caller tries again later."""
import http.client
import logging
from typing import Protocol
from urllib.parse import urlsplit

from pyramid.path import DottedNameResolver

log = logging.getLogger("portal.outbox.purge")
PURGE_HEADER = "xkey-purge"
DEFAULT_TIMEOUT = 2.0


class Purger(Protocol):
    def purge(self, tags: list[str]) -> None: ...


class LogPurger:
    def __init__(self, settings=None):
        pass

    def purge(self, tags: list[str]) -> None:
        log.info("purge: %s", " ".join(tags))


class ProxyRefused(Exception):
    """A proxy answered a purge with something else than 200."""


class VarnishXkeyPurger:
    def __init__(self, settings):
        self.urls = [urlsplit(u) for u in (settings.get("portal.proxy.purge_urls") or "").split()]
        if not self.urls or any(u.scheme not in ("http", "https") or not u.hostname for u in self.urls):
            raise ValueError("portal.proxy.purge_urls: one or more http(s) URLs of the caching proxies")
        self.timeout = float(settings.get("portal.proxy.purge_timeout") or DEFAULT_TIMEOUT)

    def purge(self, tags: list[str]) -> None:
        failed = []
        for url in self.urls:  # every proxy, even after one failed: the others are done at once
            try:
                self._purge_one(url, " ".join(tags))
            except (OSError, http.client.HTTPException, ProxyRefused) as exc:
                failed.append(f"{url.netloc}: {type(exc).__name__}: {exc}")
        if failed:
            raise ProxyRefused("; ".join(failed))

    def _purge_one(self, url, header: str) -> None:
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = kind(url.hostname, url.port, timeout=self.timeout)
        try:
            connection.request("PURGE", url.path or "/", headers={PURGE_HEADER: header})
            answer = connection.getresponse()
            answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise ProxyRefused(f"answered {answer.status}")


BUILT_IN = {"log": LogPurger, "varnish": VarnishXkeyPurger}


def make_purger(settings) -> Purger:
    name = (settings.get("portal.proxy.purger") or "log").strip()
    kind = BUILT_IN.get(name) or DottedNameResolver().resolve(name)
    return kind(settings)
