"""Photos on staff-written notices (issue 12, item 4), through the staff forms: a wanted notice is
written with two photos, its main photo chosen, approved by a second officer, and every public
output shows them (page, list card, poster, Open Graph, Atom, CAP, API); a photo change of a
published notice waits for a second officer like any other change; a file that is not a photo
keeps the form and stores nothing."""
import hashlib
import json
import xml.etree.ElementTree as ET

import pytest
import webtest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from webtest import Upload

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.audit.models import AuditEvent
from portal.media.models import Media
from portal.notices.models import Notice, NoticeRevision
from tests.factories import make_notice, make_officer, make_photo
from tests.functional.helpers import login
from tests.images import GPS_MARKER, jpeg_with_gps, png

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def officers(dbsession, units):
    return {
        "author": make_officer(dbsession, units["city_a"], ["moderator"], username="photo_author"),
        "reviewer": make_officer(dbsession, units["city_a"], ["moderator"], username="photo_reviewer"),
    }


def as_(testapp, officer):
    testapp.reset()
    login(testapp, officer.username)


def send(testapp, form, files=(), button="save", status=303, field="new_photos"):
    """Submit a Deform form with these files (name, bytes, type) under `field`."""
    fields = [(n, v) for n, v in form.submit_fields(button) if n != field]
    fields += [(field, Upload(name, data, kind)) for name, data, kind in files]
    return testapp.post(form.action or form.response.request.path_qs, fields,
                        content_type="multipart/form-data", status=status)


def photo_rows(form):
    """(id, position field, alt field, remove field) per photo row of the edit form, in page order."""
    ids = [f.value for f in form.fields["id"]]
    return list(zip(ids, form.fields["position"], form.fields["alt"], form.fields["remove"], strict=True))


def staff_page(testapp, notice_id):
    return testapp.get(f"/staff/notices/{notice_id}")


def public(testapp, path, status=200):
    testapp.reset()
    return testapp.get(path, status=status)


def media_count(dbsession):
    return dbsession.execute(select(func.count()).select_from(Media)).scalar_one()


def test_a_wanted_notice_with_two_photos_reaches_every_public_output(testapp, dbsession, officers, units):
    as_(testapp, officers["author"])
    form = testapp.get("/staff/notices/new?kind=wanted").forms["deform"]
    assert form.enctype == "multipart/form-data" and "new_photos" in form.fields
    form["title"] = "Wanted: bank robbery suspect"
    form["body"] = "A man robbed the bank on 2 December."
    form["suspect_description"] = "About 30, short black hair."
    form["new_photos_alt"] = "The suspect"
    page = send(testapp, form, [("front.jpg", jpeg_with_gps((800, 600), (200, 10, 10)), "image/jpeg"),
                                ("side.png", png((300, 400), (10, 10, 200)), "image/png")]).follow()
    notice = dbsession.execute(select(Notice).where(Notice.title == "Wanted: bank robbery suspect")).scalar_one()
    front, side = notice.media
    assert [m.alt_text for m in notice.media] == ["The suspect", "The suspect"]

    # On the draft, the side view becomes the main photo, each with its own alt text.
    form = page.forms["edit"]
    (front_id, front_pos, front_alt, _), (side_id, side_pos, side_alt, _) = photo_rows(form)
    assert (int(front_id), int(side_id)) == (front.id, side.id)
    front_pos.value, side_pos.value = "2", "1"
    front_alt.value, side_alt.value = "The suspect, front view", "The suspect, side view"
    page = send(testapp, form).follow()
    dbsession.expire_all()
    assert [m.id for m in notice.media] == [side.id, front.id]
    assert [m.alt_text for m in notice.media] == ["The suspect, side view", "The suspect, front view"]
    assert "Main photo" in page.html.select_one(".notice-photo").text  # the first row is the main one
    thumb = testapp.get(page.html.select_one(".notice-photo-thumb")["src"])
    assert thumb.content_type == "image/jpeg"
    public(testapp, f"/media/{side.id}/public", status=404)  # a draft's photos are not public

    as_(testapp, officers["author"])
    page = staff_page(testapp, notice.id).forms["transition-submit"].submit(status=303)
    as_(testapp, officers["reviewer"])
    staff_page(testapp, notice.id).forms["transition-approve"].submit(status=303)

    # The page: main photo first, loaded at once; the other lazily; sizes given.
    html = public(testapp, f"/notices/{notice.id}").html
    images = html.select(".photos img")
    assert [img["src"] for img in images] == [f"/media/{side.id}/public", f"/media/{front.id}/public"]
    assert images[0]["loading"] == "eager" and images[1]["loading"] == "lazy"
    assert images[0]["alt"] == "The suspect, side view" and images[0]["width"] and images[0]["height"]
    og = {m["property"]: m["content"] for m in html.select("meta[property]")}
    assert og["og:image"].endswith(f"/media/{side.id}/public") and og["og:image:alt"] == "The suspect, side view"
    assert (og["og:image:width"], og["og:image:height"]) == (images[0]["width"], images[0]["height"])
    # The public copy is resized and carries no camera or GPS data; the original is kept unchanged.
    copy = public(testapp, f"/media/{front.id}/public").body
    store = testapp.app.registry["media_store"]
    with store.open(dbsession.get(Media, front.id).original_key) as original:
        assert GPS_MARKER in original.read()
    assert GPS_MARKER not in copy

    # The list card and the poster show the main photo.
    card = public(testapp, "/notices?kind=wanted").html.select_one(f"a[href='/notices/{notice.id}'] img")
    assert card["src"] == f"/media/{side.id}/thumb"
    poster = public(testapp, f"/notices/{notice.id}/poster").html.select_one("img.poster-photo")
    assert poster["src"] == f"/media/{side.id}/public" and poster["alt"] == "The suspect, side view"

    # The API lists the photos in order, the main one marked.
    api = public(testapp, f"/api/v1/notices/{notice.id}").json
    assert [p["url"].rsplit("/media/", 1)[1] for p in api["photos"]] == [f"{side.id}/public", f"{front.id}/public"]
    assert [p["main"] for p in api["photos"]] == [True, False]
    assert api["photos"][0]["alt"] == "The suspect, side view" and api["photos"][0]["width"] <= 1024
    assert api["thumbnail_url"].endswith(f"/media/{side.id}/thumb")

    # Atom: each photo an enclosure with its length; CAP: a <resource> per photo, with SHA-1 digest.
    feed = ET.fromstring(public(testapp, "/feeds/notices.atom").body)
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.find(f"{ATOM}title").text == notice.title)
    enclosures = [link for link in entry.iter(f"{ATOM}link") if link.get("rel") == "enclosure"]
    assert [link.get("href").rsplit("/media/", 1)[1] for link in enclosures] == [f"{side.id}/public",
                                                                                 f"{front.id}/public"]
    side_copy = public(testapp, f"/media/{side.id}/public").body
    assert enclosures[0].get("type") == "image/jpeg" and enclosures[0].get("length") == str(len(side_copy))
    alert = ET.fromstring(public(testapp, f"/notices/{notice.id}.cap").body)
    for info in alert.iter(f"{CAP}info"):
        resources = info.findall(f"{CAP}resource")
        assert [r.find(f"{CAP}resourceDesc").text for r in resources] == ["The suspect, side view",
                                                                         "The suspect, front view"]
        first = resources[0]
        assert first.find(f"{CAP}mimeType").text == "image/jpeg"
        assert first.find(f"{CAP}size").text == str(len(side_copy))
        assert first.find(f"{CAP}uri").text.endswith(f"/media/{side.id}/public")
        assert first.find(f"{CAP}digest").text == hashlib.sha1(side_copy, usedforsecurity=False).hexdigest()
        # CAP 1.2 order: <resource> after the texts, before <area>.
        tags = [child.tag for child in info]
        assert tags.index(f"{CAP}resource") > tags.index(f"{CAP}web") and tags[-1] == f"{CAP}area"


@pytest.fixture
def published(testapp, dbsession, officers, units):
    """A published wanted notice with one photo, through the forms (written, approved)."""
    as_(testapp, officers["author"])
    form = testapp.get("/staff/notices/new?kind=wanted").forms["deform"]
    form["title"], form["body"] = "Wanted: arson suspect", "A fire was set at the depot."
    send(testapp, form, [("face.jpg", jpeg_with_gps((640, 480)), "image/jpeg")])
    notice = dbsession.execute(select(Notice).where(Notice.title == "Wanted: arson suspect")).scalar_one()
    staff_page(testapp, notice.id).forms["transition-submit"].submit(status=303)
    as_(testapp, officers["reviewer"])
    staff_page(testapp, notice.id).forms["transition-approve"].submit(status=303)
    dbsession.expire_all()
    assert notice.state == "published"
    return notice


def public_photo_srcs(testapp, notice):
    return [img["src"] for img in public(testapp, f"/notices/{notice.id}").html.select(".photos img")]


def test_photo_changes_of_a_published_notice_wait_for_a_second_officer(testapp, dbsession, officers, published):
    notice = published
    (face,) = notice.media
    as_(testapp, officers["author"])
    form = staff_page(testapp, notice.id).forms["edit"]
    form["new_photos_alt"] = "The suspect's car"
    page = send(testapp, form, [("car.png", png((200, 100)), "image/png")]).follow()
    assert "waiting for approval" in page.text
    added = dbsession.execute(select(Media).where(Media.id > face.id)).scalar_one()
    assert added.notice_id is None  # stored, but not on the notice until approved
    panel = page.html.select_one(".revision-panel")
    assert "Photos as proposed" in panel.text and len(panel.select(".proposed-photos img")) == 2
    assert testapp.get(panel.select(".proposed-photos img")[1]["src"]).content_type == "image/jpeg"
    # The edit form starts from the pending photo set.
    assert [int(i) for i, *_ in photo_rows(page.forms["edit"])] == [face.id, added.id]

    # The public sees the old photos; the new one is served nowhere public.
    assert public_photo_srcs(testapp, notice) == [f"/media/{face.id}/public"]
    public(testapp, f"/media/{added.id}/public", status=404)
    assert len(public(testapp, f"/api/v1/notices/{notice.id}").json["photos"]) == 1

    # The author cannot approve (a forged post: the page offers no button).
    as_(testapp, officers["author"])
    revision = dbsession.execute(select(NoticeRevision)).scalar_one()
    token = staff_page(testapp, notice.id).forms["edit"]["csrf_token"].value
    answer = testapp.post(f"/staff/notices/{notice.id}", {
        "csrf_token": token, "revision_step": "approve", "revision": str(revision.id),
        "revision_version": str(revision.version)}, status=403)
    assert "Four eyes" in answer.text
    assert public_photo_srcs(testapp, notice) == [f"/media/{face.id}/public"]

    as_(testapp, officers["reviewer"])
    staff_page(testapp, notice.id).forms["revision-approve"].submit(status=303)
    assert public_photo_srcs(testapp, notice) == [f"/media/{face.id}/public", f"/media/{added.id}/public"]
    assert public(testapp, f"/media/{added.id}/public").content_type == "image/jpeg"
    # The audit names the photos before and after, as for any other field.
    approved = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "notice_revision.approve")).scalar_one()
    change = json.loads(approved.reason.partition(": ")[2])["photos"]
    assert [p["id"] for p in change["old"]] == [face.id] and [p["id"] for p in change["new"]] == [face.id, added.id]
    assert approved.actor == "officer:photo_reviewer"

    # Removing the first photo (the new one becomes the main) also waits for approval.
    as_(testapp, officers["author"])
    form = staff_page(testapp, notice.id).forms["edit"]
    photo_rows(form)[0][3].checked = True
    send(testapp, form)
    assert public_photo_srcs(testapp, notice) == [f"/media/{face.id}/public", f"/media/{added.id}/public"]
    as_(testapp, officers["reviewer"])
    staff_page(testapp, notice.id).forms["revision-approve"].submit(status=303)
    assert public_photo_srcs(testapp, notice) == [f"/media/{added.id}/public"]
    assert public(testapp, f"/notices/{notice.id}/poster").html.select_one("img.poster-photo")["src"] == \
        f"/media/{added.id}/public"
    # The removed photo is detached, not deleted: still evidence, no longer served.
    public(testapp, f"/media/{face.id}/public", status=404)
    dbsession.expire_all()
    removed = dbsession.get(Media, face.id)
    assert removed is not None and removed.notice_id is None
    assert testapp.app.registry["media_store"].exists(removed.original_key)


def test_a_pending_change_that_removes_every_photo_is_what_the_edit_form_starts_from(
        testapp, dbsession, officers, published):
    as_(testapp, officers["author"])
    form = staff_page(testapp, published.id).forms["edit"]
    photo_rows(form)[0][3].checked = True
    page = send(testapp, form).follow()
    assert "No photos." in page.html.select_one(".revision-panel").text
    form = page.forms["edit"]
    assert "id" not in form.fields  # no photo rows: the pending set is empty
    form["body"] = "A fire was set at the bus depot."
    send(testapp, form)
    revision = dbsession.execute(select(NoticeRevision).where(NoticeRevision.state == "pending")).scalar_one()
    assert revision.new_values["photos"] == [] and revision.new_values["body"] == "A fire was set at the bus depot."
    assert len(public_photo_srcs(testapp, published)) == 1


def test_a_file_that_is_not_a_photo_is_refused_with_the_form_kept(testapp, dbsession, officers, units):
    as_(testapp, officers["author"])
    form = testapp.get("/staff/notices/new?kind=lost_found").forms["deform"]
    form["title"], form["body"] = "Found: a black wallet", "Found at the bus station."
    form["item_description"] = "Black leather wallet"
    before = media_count(dbsession)
    page = send(testapp, form, [("wallet.jpg", b"MZ\x90\x00 this is not a photo", "image/jpeg")], status=400)
    assert "is not a photo" in page.text
    kept = page.forms["deform"]
    assert kept["title"].value == "Found: a black wallet" and kept["item_description"].value == "Black leather wallet"
    assert media_count(dbsession) == before
    assert dbsession.execute(select(Notice).where(Notice.title == "Found: a black wallet")).first() is None


def test_a_refused_photo_on_the_edit_form_changes_nothing(testapp, dbsession, officers, published):
    as_(testapp, officers["author"])
    form = staff_page(testapp, published.id).forms["edit"]
    form["title"] = "Wanted: depot arson suspect"
    page = send(testapp, form, [("x.gif", b"GIF89a broken", "image/gif")], status=400)
    assert "not a photo we can read" in page.text
    assert page.forms["edit"]["title"].value == "Wanted: depot arson suspect"
    assert dbsession.execute(select(NoticeRevision)).first() is None


def test_a_forged_photo_list_is_refused(testapp, dbsession, officers, units, published):
    other = make_notice(dbsession, units["city_a"], kind="vehicle", title="Wanted vehicle")
    stranger = Media(kind="image", sha256="0" * 64, size=1, content_type="image/jpeg", original_key="x.jpg",
                     notice=other)
    dbsession.add(stranger)
    dbsession.flush()
    as_(testapp, officers["author"])
    form = staff_page(testapp, published.id).forms["edit"]
    fields = [(n, str(stranger.id) if n == "id" else v) for n, v in form.submit_fields("save")]
    page = testapp.post(form.action, fields, status=409)
    assert "The photos of this notice changed" in page.text
    assert dbsession.execute(select(NoticeRevision)).first() is None
    dbsession.expire_all()
    assert stranger.notice_id == other.id
    # Another notice's photo is not served on this notice's staff route either.
    testapp.get(f"/staff/notices/{published.id}/photos/{stranger.id}?size=thumb", status=404)


@pytest.fixture
def cached_clients(app_settings, tm, dbsession):
    """An anonymous client and a staff one of one application."""
    app = portal.main({}, **app_settings)
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    environ = {"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en", "tm.active": True, "tm.manager": tm,
               "app.dbsession": dbsession}
    return webtest.TestApp(app, extra_environ=environ), webtest.TestApp(app, extra_environ=dict(environ))


def test_an_approved_photo_change_purges_the_proxies_and_replaces_the_public_pages(cached_clients, dbsession,
                                                                                  officers, published):
    from portal.outbox.models import ProxyPurge

    anonymous, staff = cached_clients
    (face,) = published.media
    before = anonymous.get(f"/notices/{published.id}")
    assert f"notice-{published.id}" in before.headers["xkey"].split()
    assert f"/media/{face.id}/public" in before.text
    login(staff, officers["author"].username)
    form = staff.get(f"/staff/notices/{published.id}").forms["edit"]
    photo_rows(form)[0][3].checked = True  # remove the only photo
    send(staff, form)
    assert f"/media/{face.id}/public" in anonymous.get(f"/notices/{published.id}").text  # not yet approved
    staff.reset()
    login(staff, officers["reviewer"].username)
    dbsession.execute(ProxyPurge.__table__.delete())
    staff.get(f"/staff/notices/{published.id}").forms["revision-approve"].submit(status=303)
    purged = {tag for tags in dbsession.execute(select(ProxyPurge.tags)).scalars() for tag in tags.split()}
    assert {f"notice-{published.id}", f"media-{face.id}", "notice-list"} <= purged
    for path in (f"/notices/{published.id}", "/notices", f"/api/v1/notices/{published.id}"):
        assert f"/media/{face.id}/" not in anonymous.get(path).text


post_values = st.one_of(st.sampled_from(["", "0", "1", "2", "99", "100", "-1", "٣", "1e3", " 2 "]),
                        st.text(max_size=8), st.integers(1, 10**12).map(str))
positions = st.one_of(st.integers(1, 99).map(str), st.integers(1, 99).map(str), post_values)
own_rows = st.lists(st.tuples(positions, st.text(max_size=300), st.booleans()), min_size=2, max_size=2)
junk_rows = st.lists(st.tuples(post_values, positions, st.text(max_size=20), st.booleans()), max_size=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations([0, 1]), own=own_rows, junk=st.one_of(st.just([]), junk_rows),
       extra_marker=st.sampled_from([False] * 5 + [True]))
def test_any_photo_list_posted_to_the_edit_form_is_answered_and_only_a_valid_one_saved(
        testapp, dbsession, officers, units, order, own, junk, extra_marker):
    """Whatever order numbers, ids and texts a (forged) edit form sends: a page, never a 500; the
    notice's photos change only through a pending revision, and only for the photos it had."""
    notice = dbsession.execute(select(Notice).where(Notice.title == "Fuzzed photos")).scalar_one_or_none()
    if notice is None:
        notice = make_notice(dbsession, units["city_a"], title="Fuzzed photos")
        for _ in range(2):
            make_photo(dbsession, testapp.app.registry["media_store"], notice=notice)
        as_(testapp, officers["author"])
    ids = sorted(m.id for m in notice.media)
    form = staff_page(testapp, notice.id).forms["edit"]
    shown = sorted(int(i) for i in (f.value for f in form.fields.get("id", [])))
    rows = [(str(shown[n]), *own[k]) for k, n in enumerate(order) if n < len(shown)] + junk
    fields = [(n, v) for n, v in form.submit_fields("save") if n not in ("id", "position", "alt", "remove")
              and v not in ("photo:mapping", "photos:sequence")]
    photo_fields = [("__start__", "photos:sequence")]
    for ident, position, alt, remove in rows:
        photo_fields += [("__start__", "photo:mapping"), ("id", ident), ("position", position), ("alt", alt)]
        photo_fields += [("remove", "1")] if remove else []
        photo_fields += [("__end__", "photo:mapping")]
    photo_fields += [] if extra_marker else [("__end__", "photos:sequence")]
    answer = testapp.post(form.action, fields[:-1] + photo_fields + fields[-1:], status="*")
    assert answer.status_int in (303, 400, 409), answer.status_int
    event(f"answered {answer.status_int}")
    dbsession.expire_all()
    assert sorted(m.id for m in notice.media) == ids  # a published notice's photos never change at once
    pending = dbsession.execute(select(NoticeRevision).where(NoticeRevision.pending_notice_id == notice.id)
                                ).scalar_one_or_none()
    if answer.status_int == 303 and len(shown) == 2 and pending is not None and "photos" in pending.new_values:
        # Lowest number first; equal numbers in the order the form sent them.
        kept = sorted((int(p), k, n) for k, (n, (p, _alt, remove)) in enumerate(zip(order, own, strict=True))
                      if not remove)
        assert [p["id"] for p in pending.new_values["photos"]] == [shown[n] for _p, _k, n in kept]
    for revision in dbsession.execute(select(NoticeRevision).where(NoticeRevision.notice_id == notice.id)).scalars():
        proposed = revision.new_values.get("photos")
        assert proposed is None or {p["id"] for p in proposed} <= set(ids)


def test_the_photo_list_speaks_the_officers_language(testapp, officers, published):
    as_(testapp, officers["author"])
    page = testapp.get(f"/staff/notices/{published.id}", headers={"Accept-Language": "zh-CN"})
    photos_fieldset = page.html.select_one("fieldset.notice-photos").text
    assert "主照片" in photos_fieldset and "从通告中移除" in photos_fieldset and "Main photo" not in photos_fieldset


def test_notice_photos_from_the_bucket_reach_every_public_output_with_the_s3_store(s3_media, testapp, dbsession,
                                                                                  officers, units):
    test_a_wanted_notice_with_two_photos_reaches_every_public_output(testapp, dbsession, officers, units)
    notice = dbsession.execute(select(Notice).where(Notice.title == "Wanted: bank robbery suspect")).scalar_one()
    assert notice.media and all(s3_media.exists(m.original_key) and s3_media.exists(m.public_key)
                                for m in notice.media)


def test_the_day_each_photo_was_taken_is_a_change_the_second_officer_approves(
        testapp, dbsession, officers, published):
    notice = published
    (face,) = notice.media
    as_(testapp, officers["author"])
    form = staff_page(testapp, notice.id).forms["edit"]
    form["taken_on"] = "2999-01-01"  # in the future: refused at the field, nothing proposed
    refused = send(testapp, form, status=400)
    assert "not in the future" in refused.text and dbsession.execute(select(NoticeRevision)).first() is None
    form = staff_page(testapp, notice.id).forms["edit"]
    form["taken_on"] = "2026-03-15"
    form["new_photos_taken_on"] = "2025-12-24"
    page = send(testapp, form, [("car.png", png((200, 100)), "image/png")]).follow()
    assert "waiting for approval" in page.text and "[2026-03-15]" in page.text
    assert "taken on" not in public(testapp, f"/notices/{notice.id}").text  # not before approval
    as_(testapp, officers["reviewer"])
    staff_page(testapp, notice.id).forms["revision-approve"].submit(status=303)
    dbsession.expire_all()
    assert [m.taken_on.isoformat() for m in notice.media] == ["2026-03-15", "2025-12-24"]
    page = public(testapp, f"/notices/{notice.id}")
    assert "Photo 1 taken on 2026-03-15" in page.text and "Photo 2 taken on 2025-12-24" in page.text
    assert [p["taken_on"] for p in testapp.get(f"/api/v1/notices/{notice.id}").json["photos"]] == [
        "2026-03-15", "2025-12-24"]
