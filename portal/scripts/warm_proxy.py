"""portal-warm-proxy INI: fill the caching proxies with the public answers, most important first.

An empty Varnish (just started, a new host, a restart after a deploy) sends every request to an app
server: this asks it once for the home page, the lists, every open missing-person appeal (newest first,
with its photos), the other open notices, their API answers, the feeds and the sitemap, in every language
the proxy keeps apart (notices/warm_plan.py), as a visitor through nginx would (outbox/proxy_warmer.py).
Run it after Varnish starts (deploy/systemd/safety-portal-warmer.service). After an upgrade that
changes what pages show, `--refresh` renders each answer anew and replaces the proxy's copy, in the
same order: visitors keep the old copy until its new one is in, so the proxy is never empty.

    portal-warm-proxy production.ini [--proxy http://127.0.0.1:6081/] [--concurrency 2]
                      [--max-seconds 3600] [--max-requests N] [--languages zh-CN en ug] [--wait 0]
                      [--refresh]

The proxies are `portal.proxy.purge_urls` (each Varnish keeps its own copies) unless `--proxy` names
others; the Host and forwarded scheme are `portal.public_url`'s. Prints one summary line per proxy.
Exit status: 0 done (or the budget reached), 1 some answers failed, 2 a proxy could not be reached."""
import argparse
import logging
import sys

from portal.notices import warm_plan
from portal.outbox.proxy_warmer import DEFAULT_CONCURRENCY, ProxyUnreachable, Warmer, visitor_headers
from portal.scripts.common import db_session, load_settings

log = logging.getLogger("portal.warm_proxy")
DEFAULT_MAX_SECONDS = 3600.0  # past that, the visitors' own requests fill the rest


def parse(argv):
    parser = argparse.ArgumentParser(prog="portal-warm-proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri", help="the settings, e.g. production.ini")
    parser.add_argument("--proxy", action="append", help="a proxy's URL (repeatable); default portal.proxy.purge_urls")
    parser.add_argument("--public-url", help="the site as visitors reach it; default portal.public_url")
    parser.add_argument("--concurrency", type=int, help="requests at once per proxy; default "
                        f"portal.proxy.warm_concurrency or {DEFAULT_CONCURRENCY}")
    parser.add_argument("--max-seconds", type=float, help="stop asking after this long per proxy (0: no limit); "
                        f"default portal.proxy.warm_max_seconds or {DEFAULT_MAX_SECONDS:g}")
    parser.add_argument("--max-requests", type=int, help="stop after this many requests per proxy")
    parser.add_argument("--languages", nargs="+", default=list(warm_plan.LANGUAGES),
                        help="Accept-Language values, one per copy the proxy keeps (default: %(default)s)")
    parser.add_argument("--wait", type=float, default=0.0,
                        help="seconds to wait for a proxy (and an app server behind it) to answer")
    parser.add_argument("--refresh", action="store_true",
                        help="render every answer anew and replace the proxy's copy (after an upgrade)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    settings = load_settings(args.config_uri)
    proxies = args.proxy or (settings.get("portal.proxy.purge_urls") or "").split()
    if not proxies:
        print("portal-warm-proxy: no proxy: give --proxy URL or portal.proxy.purge_urls", file=sys.stderr)
        return 2
    try:
        headers = visitor_headers(args.public_url or settings.get("portal.public_url") or "")
    except ValueError as exc:
        print(f"portal-warm-proxy: {exc}", file=sys.stderr)
        return 2
    concurrency = args.concurrency or int(settings.get("portal.proxy.warm_concurrency") or DEFAULT_CONCURRENCY)
    max_seconds = args.max_seconds
    if max_seconds is None:
        max_seconds = float(settings.get("portal.proxy.warm_max_seconds") or DEFAULT_MAX_SECONDS)
    with db_session(settings) as dbsession:
        requests = warm_plan.requests(warm_plan.from_database(dbsession), args.languages)
    status = 0
    for proxy in proxies:
        warmer = Warmer(proxy, headers, concurrency=concurrency, max_seconds=max_seconds or None,
                        max_requests=args.max_requests, refresh=args.refresh)
        try:
            summary = warmer.run(requests, wait=args.wait)
        except ProxyUnreachable as exc:
            print(f"portal-warm-proxy: cannot reach the proxy {proxy}: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"{proxy}: {summary.line()}", flush=True)
        if summary.errors and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
