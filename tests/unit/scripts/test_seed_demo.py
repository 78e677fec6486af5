import io
import json
import re

from PIL import Image
from shapely.geometry import shape
from sqlalchemy import String, Text, func, select

from portal.accounts.models import Officer
from portal.audit.models import AuditEvent
from portal.core.meta import Base
from portal.core.permissions import Role
from portal.media.models import Media
from portal.notices.models import NOTICE_KINDS, Notice
from portal.scripts import seed_demo
from portal.units.models import Unit


def counts(dbsession):
    return [dbsession.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Unit, Officer, Notice, Media, AuditEvent)]


def test_seed_builds_the_demo_province(dbsession, registry):
    report = seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    assert report.created
    units = {u.code: u for u in dbsession.execute(select(Unit)).scalars()}
    levels = sorted(u.level for u in units.values())
    assert levels.count("province") == 1 and levels.count("city") == 3 and levels.count("county") == 6
    for unit in units.values():
        polygon = shape(json.loads(unit.jurisdiction))
        assert polygon.is_valid
        if unit.parent is not None:
            assert polygon.within(shape(json.loads(unit.parent.jurisdiction)))
            assert unit.path == unit.parent.path + unit.code + "/"
    roles = set().union(*(o.roles for o in dbsession.execute(select(Officer)).scalars()))
    assert roles == {str(r) for r in Role}


def test_seed_publishes_every_kind_with_pictures_and_hides_drafts(dbsession, registry):
    store = registry["media_store"]
    seed_demo.seed(dbsession, store, registry["field_cipher"], registry["receipt_hasher"])
    published = dbsession.execute(select(Notice).where(Notice.state == "published")).scalars().all()
    assert len(published) >= 40
    for kind in NOTICE_KINDS:
        assert sum(n.kind == kind for n in published) >= 7
    # Three staff drafts and the families' requests waiting for verification.
    unpublished = 3 + len(seed_demo.WAITING_REQUESTS)
    assert dbsession.execute(select(func.count()).where(Notice.state != "published")).scalar_one() == unpublished
    for notice in (n for n in published if n.kind == "missing_person"):
        details = notice.missing_person
        assert details.full_name and details.last_seen_at < notice.published_at
        assert shape(json.loads(notice.unit.jurisdiction)).contains(
            shape({"type": "Point", "coordinates": [details.last_seen_lon, details.last_seen_lat]}))
        media = notice.media[0]
        assert store.exists(media.original_key) and store.exists(media.thumb_key)
        with Image.open(store.open(media.public_key)) as image:
            assert not image.getexif() and "exif" not in image.info
            assert (image.width, image.height) == (media.width, media.height)


def test_seeding_twice_changes_nothing(dbsession, registry):
    seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    before = counts(dbsession)
    again = seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    assert not again.created and counts(dbsession) == before
    assert [login[0] for login in again.logins][:4] == ["admin", "dispatcher", "moderator", "handler"]


def test_report_names_the_logins():
    out = io.StringIO()
    seed_demo.print_report(seed_demo.SeedReport(created=False), out)
    text = out.getvalue()
    assert "already present; nothing changed" in text
    assert "admin" in text and "demo-password-2026" in text and "two-step sign-in" in text


def test_seeded_notices_were_not_updated_after_publication(dbsession, registry):
    seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    published = dbsession.execute(select(Notice).where(Notice.state == "published")).scalars().all()
    assert all(n.updated_at == n.published_at for n in published)


def test_seed_fills_the_dispatchers_and_moderators_queues(dbsession, registry):
    from portal.missing.models import MissingPersonRequest
    from portal.privacy import receipts
    from portal.sightings.models import Sighting

    seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    requests = dbsession.execute(select(MissingPersonRequest)).scalars().all()
    published = [r for r in requests if r.state == "published"]
    assert published and all(r.checklist_complete and r.notice.state == "published" for r in published)
    assert all(r.notice.verified_by_unit is not None for r in published)
    waiting = [r for r in requests if r.state in ("submitted", "verifying")]
    assert len(waiting) == len(seed_demo.WAITING_REQUESTS)
    assert all(r.notice.state == "draft" and r.notice.media for r in waiting)
    # The printed demo receipt codes open the waiting requests on /status.
    found = {receipts.lookup(dbsession, registry["receipt_hasher"], code).subject_id
             for code in seed_demo.demo_receipt_codes()}
    assert found == {r.id for r in waiting}
    contact = registry["field_cipher"].decrypt(waiting[0].family_contact, "missing.family_contact")
    assert '"phone": "139' in contact
    sightings = dbsession.execute(select(Sighting)).scalars().all()
    assert len(sightings) == len(seed_demo.SIGHTINGS)
    assert all(s.notice.state == "published" and s.unit.path.startswith("/139900/139910/") for s in sightings)
    # Each has a receipt, so its moderators can write to the sender; the reviewed one has a thread.
    from portal.sightings import thread
    assert all(thread.has_receipt(dbsession, s) for s in sightings)
    (reviewed,) = [s for s in sightings if s.state == "reviewed"]
    assert [m.author for m in thread.messages(dbsession, reviewed)] == ["police", "sender"]


def test_seed_fills_the_tip_queue_and_statistics_once(dbsession, registry):
    from portal.demo import tips as demo_tips
    from portal.privacy import receipts
    from portal.privacy.models import Receipt
    from portal.tips.models import Tip, TipAnswer, TipMessage, TipReward

    report = seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    tips = dbsession.execute(select(Tip)).scalars().all()
    assert report.tips_added == len(tips) == len(demo_tips.TIPS)
    assert {t.category.slug for t in tips} >= {"drugs", "fraud", "guns", "other"}
    assert {t.state for t in tips} == {"received", "triaged", "assigned", "in_progress", "closed"}
    assert len({t.unit.code for t in tips}) >= 6
    assert all(t.triaged_at for t in tips if t.state != "received")
    assert all(t.closed_at and t.outcome for t in tips if t.state == "closed")
    assert all(t.danger for t in tips if t.category.slug in ("guns", "explosives"))
    assert dbsession.execute(select(func.count()).select_from(TipAnswer)).scalar_one() > 40
    messages = dbsession.execute(select(TipMessage)).scalars().all()
    assert any(m.internal for m in messages) and any(m.author == "reporter" for m in messages)
    assert [t for t in tips if t.flagged][0].attachments[0].flags == "old-capture"
    assert {r.state for r in dbsession.execute(select(TipReward)).scalars()} == {"approved", "proposed"}
    # Contacts are sealed; the printed receipt codes open demo tips on /status.
    sealed = [t for t in tips if t.contact]
    assert sealed and all('"phone"' not in t.contact for t in sealed)
    assert '"phone": "13' in registry["field_cipher"].decrypt(sealed[0].contact, "tip.contact")
    found = {receipts.lookup(dbsession, registry["receipt_hasher"], code).subject_id
             for code in demo_tips.receipt_codes()}
    assert found <= {t.id for t in tips} and len(found) == demo_tips.RECEIPT_TIPS
    assert dbsession.execute(select(func.count()).where(Receipt.subject_type == "tip")).scalar_one() == 3
    out = io.StringIO()
    seed_demo.print_report(report, out)
    printed = out.getvalue()
    assert "Demo receipt codes of tips" in printed
    assert not any(registry["field_cipher"].decrypt(t.contact, "tip.contact").split('"phone": "')[1][:11] in printed
                   for t in sealed)
    # Seeding again adds nothing; a demo database from before tips gets them once.
    assert seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"],
                          registry["receipt_hasher"]).tips_added == 0
    assert dbsession.execute(select(func.count()).select_from(Tip)).scalar_one() == len(tips)


def test_every_sealed_value_the_demo_writes_sits_in_a_declared_column(dbsession, registry):
    """portal-rekey-fields finds protected fields by their columns' `info={"sealed": ...}`: a sealed value in
    an undeclared column would keep its old key for ever."""
    seed_demo.seed(dbsession, registry["media_store"], registry["field_cipher"], registry["receipt_hasher"])
    token = re.compile(r"^t[01]\$[A-Za-z0-9+/]{20,}={0,2}$")
    sealed_seen, stray = [], []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text):
                continue
            values = dbsession.execute(select(column).where(column.isnot(None))).scalars()
            if any(token.match(v) for v in values):
                (sealed_seen if column.info.get("sealed") else stray).append(f"{table.name}.{column.name}")
    assert stray == []
    assert {"tips.contact", "sightings.contact", "missing_requests.family_contact"} <= set(sealed_seen)
