"""Filling a caching proxy with public answers (portal-warm-proxy; what to ask for and in which order:
notices/warm_plan.py). A proxy just started holds nothing and sends every request to an app server; this
asks it for each answer once, as a visitor coming through nginx would (the same Host and forwarded
scheme, so the copies it keeps are the ones visitors get), with a bounded number of requests at once so
the app servers keep serving the people using the site.

Requests carry no cookie and no credentials (a proxy never keeps an answer for a session anyway); the
answers' bodies are read and dropped. Nothing private is logged: only counts and public paths."""
import http.client
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

log = logging.getLogger("portal.outbox.warm")

DEFAULT_CONCURRENCY = 2  # gentle: two renders at a time leave the app servers' other threads to visitors
DEFAULT_TIMEOUT = 60.0
# What the proxy keeps (deploy/varnish's public paths): anything else would only load an app server.
PUBLIC_PATH = re.compile(r"^/(notices(/[0-9]+(/poster|\.cap)?)?|api/v1/notices(/[0-9]+)?|api/openapi\.json"
                         r"|feeds/notices\.(atom|cap\.atom)|media/[0-9]+/(public|thumb)|sitemap\.xml|robots\.txt)?"
                         r"(\?[^/#]*)?$")
# A visitor's answer: the page, a redirect, a notice closed or gone since the plan was made.
ANSWERED = {200, 203, 301, 302, 303, 304, 404, 410}
# Asks the proxy to fetch the answer anew and replace its copy (deploy/varnish: from its purgers only;
# nginx drops it from visitors): after an upgrade, the pages change one by one, never an empty proxy.
REFRESH_HEADER = "X-Portal-Refresh"


class ProxyUnreachable(Exception):
    """The proxy did not accept a connection (or answered nothing) within the wait."""


@dataclass
class Summary:
    planned: int
    hits: int = 0  # the proxy held it already
    misses: int = 0  # an app server rendered it, the proxy keeps it now
    errors: int = 0  # refused, failed or not answered
    seconds: float = 0.0
    stopped: str = ""  # the budget that ended the run early, if one did
    statuses: Counter = field(default_factory=Counter)

    @property
    def requested(self) -> int:
        return self.hits + self.misses + self.errors

    def line(self) -> str:
        text = (f"warmed {self.requested:,} of {self.planned:,} answers in {self.seconds:.1f} s: "
                f"{self.hits:,} hits, {self.misses:,} misses, {self.errors:,} errors")
        return text + (f" (stopped: {self.stopped})" if self.stopped else "")


def visitor_headers(public_url: str) -> dict:
    """What nginx (deploy/nginx) sends the proxy for a visitor of `public_url`: the proxy keys its copies
    on Host, and the app servers build their links from the forwarded scheme and host."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the public URL: http(s)://host/ (portal.public_url)")
    return {"Host": parts.hostname, "X-Forwarded-Proto": parts.scheme, "X-Forwarded-Host": parts.hostname}


class Warmer:
    """Asks the proxy at `proxy_url` for each (path, Accept-Language) of `requests`, in order, with at
    most `concurrency` requests at once; stops asking after `max_seconds` or `max_requests`. With
    `refresh`, each answer is rendered anew and replaces the proxy's copy (after an upgrade)."""

    def __init__(self, proxy_url: str, headers: dict, *, concurrency: int = DEFAULT_CONCURRENCY,
                 max_seconds: float | None = None, max_requests: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT, refresh: bool = False):
        parts = urlsplit(proxy_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("the proxy's URL: http://host:port/ (Varnish speaks plain HTTP)")
        if concurrency < 1:
            raise ValueError("concurrency: at least 1")
        self.address = (parts.hostname, parts.port or 80)
        self.headers = {k: v for k, v in headers.items() if k.lower() not in ("cookie", "authorization")}
        if refresh:
            self.headers[REFRESH_HEADER] = "1"
        self.concurrency, self.timeout = concurrency, timeout
        self.max_seconds, self.max_requests = max_seconds, max_requests
        self.lock = threading.Lock()

    def run(self, requests: list[tuple[str, str | None]], wait: float = 0.0) -> Summary:
        """Raises ProxyUnreachable when the first request cannot reach the proxy within `wait` seconds."""
        for path, _language in requests:
            if not PUBLIC_PATH.match(path):
                raise ValueError(f"not a public answer the proxy keeps: {path}")
        summary = Summary(planned=len(requests))
        self.began, self.handed = time.monotonic(), 1
        if requests:
            self._first(requests[0], summary, wait)
        pending = iter(requests[1:])
        workers = [threading.Thread(target=self._client, args=(pending, summary), daemon=True)
                   for _ in range(min(self.concurrency, max(len(requests) - 1, 0)))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        summary.seconds = time.monotonic() - self.began
        return summary

    def _first(self, request, summary: Summary, wait: float) -> None:
        """The first request alone: the proxy answers, and an app server behind it (a proxy just started
        may not have probed them yet), or nothing else is sent."""
        deadline = time.monotonic() + wait
        where = f"{self.address[0]}:{self.address[1]}"
        while True:
            connection = self._connect()
            try:
                answer = self._get(connection, request)
                if answer[0] < 500:
                    self._record(summary, request, answer)
                    return
                failure = f"{where} answered {answer[0]} (no app server behind it?)"
            except (OSError, http.client.HTTPException) as exc:
                failure = f"{where}: {type(exc).__name__}: {exc}"
            finally:
                connection.close()
            if time.monotonic() >= deadline:
                raise ProxyUnreachable(failure)
            time.sleep(1.0)

    def _next(self, pending, summary: Summary):
        with self.lock:
            request = None if summary.stopped else next(pending, None)
            if request is None:
                return None
            if self.max_seconds is not None and time.monotonic() - self.began >= self.max_seconds:
                summary.stopped = f"{self.max_seconds:g} s"
                return None
            if self.max_requests is not None and self.handed >= self.max_requests:
                summary.stopped = f"{self.max_requests:,} requests"
                return None
            self.handed += 1
            return request

    def _client(self, pending, summary: Summary) -> None:
        connection = self._connect()
        try:
            while (request := self._next(pending, summary)) is not None:
                try:
                    status_and_cache = self._get(connection, request)
                except (OSError, http.client.HTTPException) as exc:
                    connection.close()  # a dropped keep-alive connection: once more on a new one
                    connection = self._connect()
                    try:
                        status_and_cache = self._get(connection, request)
                    except (OSError, http.client.HTTPException):
                        log.warning("no answer for %s: %s", request[0], type(exc).__name__)
                        status_and_cache = (None, "")
                self._record(summary, request, status_and_cache)
        finally:
            connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(*self.address, timeout=self.timeout)

    def _get(self, connection, request) -> tuple[int, str]:
        path, language = request
        headers = dict(self.headers, **({"Accept-Language": language} if language else {}))
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status, (answer.getheader("X-Cache") or "").lower()

    def _record(self, summary: Summary, request, status_and_cache) -> None:
        status, cache = status_and_cache
        with self.lock:
            summary.statuses[status] += 1
            if status not in ANSWERED:
                summary.errors += 1
                if summary.errors <= 5:  # the first few, to say what went wrong (public paths only)
                    log.warning("%s answered %s", request[0], status)
            elif cache == "hit":
                summary.hits += 1
            else:
                summary.misses += 1
