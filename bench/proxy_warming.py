"""portal-warm-proxy's warmer in bench/proxy_throughput.py (`--warm-with-portal`): filling the proxy as
deployed, and what warming costs the visitors meanwhile."""
import http.client
import random
import statistics
import threading
import time

from portal.notices import warm_plan
from portal.outbox.proxy_warmer import Warmer
from portal.scripts.common import db_session


def planned(url: str) -> list:
    with db_session({"sqlalchemy.url": url}) as dbsession:
        return warm_plan.requests(warm_plan.from_database(dbsession))


def warm_with_portal(proxy, url: str, concurrency: int):
    """portal-warm-proxy's plan and warmer (notices/warm_plan.py, outbox/proxy_warmer.py) on this proxy,
    with the Host wrk sends (the proxy keys its copies on it)."""
    asked = planned(url)
    warmer = Warmer(proxy.url, {"Host": f"127.0.0.1:{proxy.port}"}, concurrency=concurrency)
    summary = warmer.run(asked)
    if summary.errors:
        raise SystemExit(f"the warmer met {summary.errors} errors: {dict(summary.statuses)}")
    return summary


def visitors_while_warming(proxy, url: str, app_ports, notices: int, seconds: float, accept_language: str) -> list:
    """What warming costs the people using the site: a visitor whose request the proxy does not hold (a
    notice page drawn uniformly, straight to an app server, one after another) timed alone, while the
    warmer runs 2 and 8 at once (each on a Host of its own, so every one of its requests is a miss), and
    alone again. Returns (state, p50 ms, p95 ms, the warmer's answers/s)."""
    asked = planned(url)
    rows = []
    for state, concurrency in (("alone", 0), ("warmer 2 at once", 2), ("warmer 8 at once", 8), ("alone again", 0)):
        warming = {}
        if concurrency:
            warmer = Warmer(proxy.url, {"Host": f"warm-{concurrency}.test"}, concurrency=concurrency,
                            max_seconds=seconds)
            thread = threading.Thread(target=lambda w=warmer, out=warming: out.update(summary=w.run(asked)))
            thread.start()
            time.sleep(1)  # under way
        latencies, connections = [], {port: http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                                      for port in app_ports}
        ends = time.monotonic() + (seconds - 1 if concurrency else seconds)
        while time.monotonic() < ends:
            port = random.choice(app_ports)
            began = time.perf_counter()
            connections[port].request("GET", f"/notices/{random.randint(1, notices)}",
                                      headers={"Accept-Language": accept_language})
            connections[port].getresponse().read()
            latencies.append((time.perf_counter() - began) * 1000)
        for connection in connections.values():
            connection.close()
        rate = float("nan")
        if concurrency:
            thread.join()
            rate = warming["summary"].requested / warming["summary"].seconds
        latencies.sort()
        rows.append((state, statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))], rate))
        print(f"  a visitor's uncached page, {state}: p50 {rows[-1][1]:.1f} ms, p95 {rows[-1][2]:.1f} ms"
              + (f"; the warmer {rate:.0f} answers/s" if concurrency else ""), flush=True)
    return rows
