"""Two app servers behind the real Varnish, on one PostgreSQL database, a shared Redis, the media in a
real S3 bucket (SeaweedFS) and the worker purging the proxy (tests/stack.py): a session started on one
server works on the other, rate limits are shared, a photo uploaded through one is served by the other,
a resumable upload's chunks may go to either, both see the worker's heartbeat and the worker repeats
their purges, a publication shows through the proxy and a closure leaves it within 2 s, and killing a server loses
no GET the proxy can retry and half-saves no submission.
PostgreSQL is required (SQLite cannot be shared by servers): skips without it, Redis, Varnish or
SeaweedFS, unless their PORTAL_REQUIRE_ variables are set."""
import hashlib
import threading
import time

import pytest
import requests
from sqlalchemy import select
from webtest import Upload

from tests.conftest import own_postgres_database, postgres_url, skip_or_fail_without_postgres
from tests.functional.helpers import login
from tests.functional.resumable_client import Tus, page_token
from tests.images import png
from tests.media_samples import mp4
from tests.proxy_stack import close_appeal, signed_in, wait_until
from tests.stack import (
    LOGIN_RATE_PER_MINUTE,
    appeal_gone,
    appeal_shown,
    cached,
    client,
    main_photo,
    many_servers,
    publish_appeal,
    skip_or_fail_without_redis,
    use,
)
from tests.varnish import skip_or_fail_without_varnish

pytestmark = pytest.mark.postgresql
MP4 = mp4(b"\x00\x00\x00\x10fake-h264-frames" * 40000)  # about 800 KB, as test_resumable_uploads.py's


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    skip_or_fail_without_varnish()
    skip_or_fail_without_redis()
    skip_or_fail_without_postgres(postgres_url())  # before SeaweedFS starts for nothing
    seaweed = request.getfixturevalue("seaweed")
    with own_postgres_database("many") as url, many_servers(tmp_path_factory.mktemp("many"), url, seaweed) as s:
        yield s


@pytest.fixture
def fresh(stack):
    stack.forget_rate_limits()  # each test's sign-ins count from zero
    yield stack
    stack.forget_rate_limits()


def test_a_session_started_on_one_server_works_on_the_other(fresh):
    one, other = fresh.app_urls
    browser = client(one)
    login(browser, fresh.dispatcher)
    use(browser, other)
    page = browser.get("/staff/missing")
    assert page.status_int == 200 and "/logout" in page.text
    # CSRF tokens live in the session: the other server accepts a form the first one gave.
    use(browser, one)
    form = browser.get("/staff/missing").forms
    assert form is not None
    anonymous = requests.get(f"{other}/staff/missing", allow_redirects=False, timeout=10)
    assert anonymous.status_code in (302, 303, 403)


def test_a_resumable_upload_goes_through_both_servers_by_turns(fresh):
    """The chunks of one upload land on either server (the proxy's round robin does that): each takes
    up where the other left off, from the bucket, and the file is whole."""
    from portal.media.resumable.models import Upload
    from portal.scripts.common import db_session

    browser = client(fresh.app_urls[0])
    tus = Tus(browser, page_token(browser))
    url = tus.new(len(MP4))
    chunk = len(MP4) // 4 + 1
    for n, start in enumerate(range(0, len(MP4), chunk)):
        use(browser, fresh.app_urls[n % 2])
        assert tus.head(url).headers["Upload-Offset"] == str(start)
        tus.patch(url, start, MP4[start:start + chunk], checksum=True)
    with db_session(fresh.settings) as dbsession:
        upload = dbsession.get(Upload, url.rsplit("/", 1)[1])
        assert upload.complete and upload.sha256 == hashlib.sha256(MP4).hexdigest()


def test_both_servers_see_the_workers_heartbeat(fresh):
    wait_until(lambda: fresh.worker.rounds > 0, limit=30)
    for base in (*fresh.app_urls, fresh.url):
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, (base, ready.text[:300])


def test_rate_limits_are_shared_by_the_servers(fresh):
    one, other = fresh.app_urls
    answers = []
    for attempt in range(LOGIN_RATE_PER_MINUTE + 1):
        browser = client(one)
        page = browser.get("/login")  # the form (and its CSRF token) from one, sent to either
        use(browser, (one, other)[attempt % 2])
        form = page.forms[0]
        form["username"], form["password"] = fresh.dispatcher, "correct horse battery staple"
        answers.append(form.submit("submit", status="*").status_int)
    assert answers == [303] * LOGIN_RATE_PER_MINUTE + [429]
    # Either server now refuses this address.
    browser = client(one)
    form = browser.get("/login").forms[0]
    form["username"], form["password"] = fresh.dispatcher, "correct horse battery staple"
    assert form.submit("submit", status="*").status_int == 429


def test_a_photo_uploaded_through_one_server_is_served_by_the_other(fresh):
    from portal.media.models import Media
    from portal.notices.models import Notice
    from portal.scripts.common import db_session

    one, other = fresh.app_urls
    author, reviewer = client(one), client(other)
    login(author, fresh.moderators[0])
    login(reviewer, fresh.moderators[1])
    form = author.get("/staff/notices/new?kind=wanted").forms["deform"]
    form["title"], form["body"] = "Wanted: many servers", "Seen on two servers."
    form["suspect_description"], form["new_photos_alt"] = "Tall.", "The suspect"
    fields = [(n, v) for n, v in form.submit_fields("save") if n != "new_photos"]
    fields.append(("new_photos", Upload("front.png", png((400, 300), (200, 10, 10)), "image/png")))
    answer = author.post(form.action, fields, content_type="multipart/form-data", status=303)
    with db_session(fresh.settings) as dbsession:
        notice = dbsession.execute(select(Notice).where(Notice.title == "Wanted: many servers")).scalar_one()
        notice_id, [photo_id] = notice.id, [m.id for m in notice.media]
        assert dbsession.get(Media, photo_id).original_key
    # The author's own session on the other server shows the staff copy from the bucket.
    use(author, other)
    thumb = author.get(f"/staff/notices/{notice_id}/photos/{photo_id}?size=thumb")
    assert thumb.content_type == "image/jpeg" and len(thumb.body) > 100
    author.get(f"/staff/notices/{notice_id}").forms["transition-submit"].submit(status=303)
    reviewer.get(f"/staff/notices/{notice_id}").forms["transition-approve"].submit(status=303)
    assert answer.location
    for base in (*fresh.app_urls, fresh.url):
        public = requests.get(f"{base}/media/{photo_id}/public", timeout=10)
        assert public.status_code == 200 and public.headers["Content-Type"] == "image/jpeg", base
        assert public.content[:2] == b"\xff\xd8"


def test_a_publication_shows_and_a_closure_leaves_the_proxy_within_2_seconds(fresh):
    request_id, notice_id, name, title = fresh.verifying_appeal()
    for path in ("/notices", "/feeds/notices.atom"):
        cached(f"{fresh.url}{path}")  # the list and the feed without it
    assert requests.get(f"{fresh.url}/notices/{notice_id}", timeout=10).status_code == 404  # a draft
    officer = signed_in(fresh)
    publish_appeal(fresh, officer, request_id)
    wait_until(lambda: appeal_shown(fresh, notice_id, name, title), limit=2.0)
    assert time.time() - fresh.published_at(notice_id) < 2.5  # the wait started after the POST's answer

    photo_id = main_photo(fresh, notice_id)
    for path in (f"/notices/{notice_id}", f"/media/{photo_id}/public", "/feeds/notices.atom"):
        cached(f"{fresh.url}{path}")
    close_appeal(fresh, officer, request_id)
    wait_until(lambda: appeal_gone(fresh, notice_id, photo_id, name, title), limit=2.0)
    assert time.time() - fresh.resolved_at(notice_id) < 2.5
    for base in fresh.app_urls:  # neither server serves it any more, whichever the proxy asks
        assert requests.get(f"{base}/media/{photo_id}/public", timeout=10).status_code == 404


def test_the_worker_sends_each_purge_its_second_round(fresh):
    """The web process that committed sent the first round at once; the worker, whose purger points at
    the same proxy, sends the second a repeat later (a visitor's request racing the first)."""
    from portal.outbox.models import ProxyPurge
    from portal.scripts.common import db_session

    request_id, notice_id, _, _ = fresh.verifying_appeal()
    publish_appeal(fresh, signed_in(fresh), request_id)

    def rounds_left() -> list[tuple[int, int, str]]:
        with db_session(fresh.settings) as dbsession:
            return [(p.rounds_left, p.attempts, p.last_error) for p in dbsession.execute(select(ProxyPurge))
                    .scalars() if f"notice-{notice_id}" in p.tags.split()]

    first = rounds_left()
    assert first and all(left <= 1 for left, _, _ in first)  # the first round already went
    wait_until(lambda: all(left == 0 for left, _, _ in rounds_left()), limit=15)
    assert all(error == "" and attempts == 0 for _, attempts, error in rounds_left())


def test_killing_a_server_loses_no_get_and_half_saves_no_submission(fresh):
    from portal.notices.models import Notice

    dead, alive = fresh.app_urls
    answers, stop = [], threading.Event()

    def keep_asking():
        while not stop.is_set():
            started = time.monotonic()
            answers.append((started, requests.get(f"{fresh.url}/tips/new", timeout=30).status_code))

    author = client(fresh.url)
    login(author, fresh.moderators[0])
    before = fresh.count(Notice)
    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        time.sleep(0.5)
        fresh.kill(0)
        killed = time.monotonic()
        for _ in range(2):  # at once, before the proxy's probe can notice
            answers.append((time.monotonic(), requests.get(f"{fresh.url}/tips/new", timeout=30).status_code))
        time.sleep(1.0)
        # A submission sent to the dead server fails cleanly: no answer, nothing saved.
        form = author.get("/staff/notices/new?kind=lost_found").forms["deform"]
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{dead}/staff/notices/new?kind=lost_found", data=dict(form.submit_fields("save")),
                          timeout=10)
        assert fresh.count(Notice) == before
        # Through the proxy, each submission is saved once: the proxy never resends a POST, the client
        # resends one the proxy answered 503 (no app server got it).
        titles = [f"Lost bag {n} during the outage" for n in range(4)]
        for title in titles:
            form = author.get("/staff/notices/new?kind=lost_found").forms["deform"]
            form["title"], form["body"] = title, "A black bag."
            for _ in range(40):  # until the proxy's probe marks the dead server sick (a few seconds)
                answer = form.submit("save", status="*")
                if answer.status_int != 503:
                    break
                time.sleep(0.25)
            assert answer.status_int == 303, answer.text[:500]
        time.sleep(0.5)
    finally:
        stop.set()
        asking.join(30)
        fresh.restart(0)
    assert {status for _, status in answers} == {200}, answers
    # GETs started before the proxy's probe (every 2 s, sick after 2 failures of 3) could notice: the round
    # robin sent every other one to the dead server, and the proxy asked the other.
    assert len([t for t, _ in answers if killed < t < killed + 2.0]) >= 2
    assert fresh.count(Notice) == before + len(titles)
    from portal.scripts.common import db_session

    with db_session(fresh.settings) as dbsession:
        saved = dbsession.execute(select(Notice.title).where(Notice.title.in_(titles))).scalars().all()
    assert sorted(saved) == sorted(titles)
    assert requests.get(f"{alive}/healthz", timeout=10).status_code == 200
