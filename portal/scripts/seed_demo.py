"""portal-seed-demo INI: fill an empty database with the fictional demo province, once.

Running it again changes nothing; it prints the demo staff logins either way."""
import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from portal.accounts import services as officers
from portal.accounts.models import Officer
from portal.audit import chain as audit
from portal.core.meta import utcnow
from portal.demo import data, pictures
from portal.demo import tips as demo_tips
from portal.media.backends import make_media_store
from portal.media.images import derive_public_copies
from portal.media.models import Media
from portal.missing.models import MissingPersonRequest
from portal.missing.services import CONTACT_LABEL, SUBJECT_TYPE, command_unit_for
from portal.notices.models import NOTICE_KINDS, MissingPersonDetails, Notice
from portal.privacy.crypto import FieldCipher
from portal.privacy.models import Receipt
from portal.privacy.receipts import ReceiptHasher, format_code
from portal.scripts.common import db_session, load_settings
from portal.sightings.models import Sighting, SightingMessage
from portal.sightings.services import CONTACT_LABEL as SIGHTING_CONTACT
from portal.units.models import Unit

NOTICES_PER_KIND = 8
PICTURED_KINDS = {"missing_person", "wanted", "lost_found", "vehicle"}


# The families' requests waiting for the command center: (state, accepting unit); the receipt codes
# are drawn from a fixed seed so the demo can print them every time for trying /status.
WAITING_REQUESTS = [("submitted", "139911"), ("submitted", "139912"), ("verifying", "139921")]
SIGHTINGS = [
    ("received", "公交总站候车亭", "看见一个很像的人坐在候车亭，穿着和照片上差不多。", True),
    ("received", "河口区菜市场北门", "早上七点左右在菜市场门口见过，往东走了。", False),
    ("reviewed", "青山县汽车站", "售票窗口附近有一位老人一直在问路。", True),
]


@dataclass
class SeedReport:
    created: bool
    logins: list = field(default_factory=lambda: [
        (username, data.DEMO_PASSWORD, roles, unit) for username, _name, unit, roles in data.OFFICERS
    ])
    receipts: list = field(default_factory=lambda: demo_receipt_codes())
    tip_receipts: list = field(default_factory=lambda: demo_tips.receipt_codes())
    tips_added: int = 0


def demo_receipt_codes() -> list[str]:
    rng = random.Random("receipts-2026")
    return ["".join(rng.choice("0123456789") for _ in range(16)) for _request in WAITING_REQUESTS]


def seed(dbsession, media_store, cipher: FieldCipher, hasher: ReceiptHasher, now=None) -> SeedReport:
    now = now or utcnow()
    if dbsession.execute(select(Unit.id).where(Unit.code == data.PROVINCE[0])).first():
        # A demo database made before tips existed gets its demo tips once, later.
        added = 0 if demo_tips.seeded(dbsession) else _tips(dbsession, media_store, cipher, hasher, now)
        return SeedReport(created=False, tips_added=added)
    rng = random.Random(2026)  # the same demo every time
    units = _units(dbsession)
    for username, display_name, unit_code, roles in data.OFFICERS:
        officers.create(dbsession, username=username, password=data.DEMO_PASSWORD, unit=units[unit_code],
                        roles=roles, display_name=display_name)
    count = _notices(dbsession, media_store, rng, list(units.values()), now)
    dispatcher = dbsession.execute(select(Officer).where(Officer.username == "dispatcher")).scalar_one()
    _published_requests(dbsession, rng, cipher, dispatcher)
    _waiting_requests(dbsession, media_store, rng, cipher, hasher, units, now)
    _sightings(dbsession, rng, cipher, hasher, units, now)
    audit.append(dbsession, "demo.seeded", actor="system", reason=f"{len(units)} units, {count} notices")
    return SeedReport(created=True, tips_added=_tips(dbsession, media_store, cipher, hasher, now))


def _tips(dbsession, media_store, cipher, hasher, now) -> int:
    units = {u.code: u for u in dbsession.execute(select(Unit)).scalars()}
    return demo_tips.seed_tips(dbsession, media_store, cipher, hasher, units, now)


def _units(dbsession) -> dict[str, Unit]:
    code, zh, en, ug = data.PROVINCE
    whole = data.rectangle(data.WEST, data.SOUTH, data.EAST, data.NORTH)
    province = _unit(dbsession, None, code, zh, en, ug, "", whole)
    units = {code: province}
    for city_index, (code, zh, en, ug, suffix) in enumerate(data.CITIES):
        city = _unit(dbsession, province, code, zh, en, ug, suffix, data.rectangle(*data.city_bounds(city_index)))
        units[code] = city
        for county_index, (c_code, c_zh, c_en, c_ug) in enumerate(data.COUNTIES[code]):
            bounds = data.county_bounds(city_index, county_index)
            units[c_code] = _unit(dbsession, city, c_code, c_zh, c_en, c_ug, suffix + str(county_index + 1),
                                  data.rectangle(*bounds))
    return units


def _unit(dbsession, parent, code, zh, en, ug, suffix, polygon) -> Unit:
    level = "province" if parent is None else ("city" if parent.parent is None else "county")
    unit = Unit(code=code, parent=parent, path=Unit.make_path(parent, code), level=level, name_zh=zh,
                name_en=en, name_ug=ug, jurisdiction=polygon, sms_suffix=suffix,
                phone_110=f"0399-{code[-3:]}110" if parent else "0399-110",
                is_command_center=level != "county")
    dbsession.add(unit)
    dbsession.flush()
    return unit


def _notices(dbsession, media_store, rng, units, now) -> int:
    count = 0
    for kind in NOTICE_KINDS:
        for n in range(NOTICES_PER_KIND):
            unit = units[(count + n) % len(units)]
            notice = _notice(rng, kind, n, unit, now - timedelta(days=rng.uniform(0, 60)))
            dbsession.add(notice)
            dbsession.flush()
            if kind in PICTURED_KINDS:
                _picture(dbsession, media_store, rng, notice)
            count += 1
    # A few that the public must never see.
    for n, state in enumerate(["draft", "draft", "in_review"]):
        notice = _notice(rng, "wanted", 100 + n, units[1], None)
        notice.state = state
        notice.title = f"[未发布] {notice.title}"
        dbsession.add(notice)
    return count


def _family_contact(rng, cipher) -> str:
    contact = {"name": data.person_name(rng), "phone": f"139{rng.randrange(10**8):08d}",
               "relationship": rng.choice(["母亲", "父亲", "女儿", "儿子", "妻子"])}
    return cipher.encrypt(json.dumps(contact, ensure_ascii=False), CONTACT_LABEL)


def _request(rng, cipher, notice, state) -> MissingPersonRequest:
    return MissingPersonRequest(
        state=state, notice=notice, accepting_unit=notice.unit, command_unit=command_unit_for(notice.unit),
        accepting_unit_phone=notice.unit.phone_110,
        acceptance_receipt_no=f"J{notice.unit.code}2026{rng.randrange(10**5):05d}",
        family_contact=_family_contact(rng, cipher), created_at=notice.created_at, updated_at=notice.created_at)


def _published_requests(dbsession, rng, cipher, dispatcher) -> None:
    """Every published appeal came from a family's request that the command center verified."""
    appeals = dbsession.execute(select(Notice).where(Notice.kind == "missing_person",
                                                     Notice.state == "published")).scalars().all()
    for notice in appeals:
        verified_at = notice.published_at - timedelta(minutes=rng.randint(20, 90))
        request = _request(rng, cipher, notice, "published")
        request.family_confirmed = request.unit_confirmed = True
        request.verification_how = "电话联系家属核实身份；致电受理单位值班室核对受理回执。"
        request.verified_by, request.verified_at = dispatcher, verified_at
        request.created_at = verified_at - timedelta(hours=rng.randint(1, 6))
        notice.verified_by_unit, notice.verified_at = dispatcher.unit, verified_at
        # Verification came before publication, so it is no update: keep updated_at (flag_modified, as
        # an unchanged value would otherwise let the column's onupdate stamp the seeding time).
        flag_modified(notice, "updated_at")
        dbsession.add(request)


def _waiting_requests(dbsession, media_store, rng, cipher, hasher, units, now) -> None:
    """Requests in the dispatchers' queue, each with a known receipt code for /status."""
    for index, (code, (state, unit_code)) in enumerate(zip(demo_receipt_codes(), WAITING_REQUESTS, strict=True)):
        notice = _notice(rng, "missing_person", 200 + index, units[unit_code], None)
        notice.state, notice.published_at = "draft", None
        notice.created_at = notice.updated_at = now - timedelta(hours=rng.randint(1, 20))
        notice.missing_person.last_seen_at = notice.created_at - timedelta(hours=rng.randint(3, 30))
        dbsession.add(notice)
        dbsession.flush()
        notice.slug = f"missing-{notice.id}"
        _picture(dbsession, media_store, rng, notice)
        request = _request(rng, cipher, notice, state)
        if state == "verifying":
            request.family_confirmed = True
            request.verification_how = "已电话联系家属；受理单位待回电。"
        dbsession.add(request)
        dbsession.flush()
        dbsession.add(Receipt(code_hash=hasher.hash(code), subject_type=SUBJECT_TYPE, subject_id=request.id))


def _sightings(dbsession, rng, cipher, hasher, units, now) -> None:
    """Clues from the public on published appeals of Dongchuan city, for its moderators' queue; each
    has a receipt (codes not printed) and the reviewed one a question and its answer."""
    codes = random.Random("sighting-receipts-2026")
    dongchuan = units["139910"]
    appeals = dbsession.execute(
        select(Notice).join(Unit, Notice.unit_id == Unit.id)
        .where(Notice.kind == "missing_person", Notice.state == "published", Unit.path.startswith(dongchuan.path))
        .order_by(Notice.id)).scalars().all()
    if not appeals:
        return
    for index, (state, place, text, with_contact) in enumerate(SIGHTINGS):
        notice = appeals[index % len(appeals)]
        lon, lat = _point_inside(rng, notice.unit)
        contact = json.dumps({"name": data.person_name(rng), "phone": f"138{rng.randrange(10**8):08d}"},
                             ensure_ascii=False) if with_contact else None
        created = now - timedelta(hours=index * 5 + 1)
        sighting = Sighting(
            notice=notice, unit=notice.unit, state=state, seen_at=created - timedelta(hours=2), place=place,
            lat=lat, lon=lon, accuracy_m=float(rng.choice([15, 40, 120])), text=text,
            contact=cipher.encrypt(contact, SIGHTING_CONTACT) if contact else None,
            reason="已电话核实地点，转交属地派出所。" if state == "reviewed" else "", created_at=created,
            updated_at=created)
        dbsession.add(sighting)
        dbsession.flush()
        code = "".join(codes.choice("0123456789") for _ in range(16))
        dbsession.add(Receipt(code_hash=hasher.hash(code), subject_type="sighting", subject_id=sighting.id))
        if state == "reviewed":
            for hours, author, body in ((1, "police", "老人大概多大年纪？穿什么衣服？"),
                                        (2, "sender", "七十岁左右，灰色外套，拄着拐杖。")):
                dbsession.add(SightingMessage(sighting_id=sighting.id, author=author, body=body,
                                              created_at=created + timedelta(hours=hours)))


def _notice(rng, kind, n, unit, published_at) -> Notice:
    title, body, details = data.WRITERS[kind](rng, unit.name_zh, published_at or utcnow())
    notice = Notice(kind=kind, state="published", unit=unit, title=title, body=body, slug=f"{kind}-{n + 1}",
                    published_at=published_at, created_at=published_at or utcnow(),
                    updated_at=published_at or utcnow())
    if details is not None:
        if published_at is not None:
            details["last_seen_at"] = min(details["last_seen_at"], published_at - timedelta(hours=2))
        lon, lat = _point_inside(rng, unit)
        notice.missing_person = MissingPersonDetails(last_seen_lon=lon, last_seen_lat=lat, **details)
    elif published_at is not None:  # approved by a second officer of the unit: its badge
        notice.verified_by_unit, notice.verified_at = unit, published_at
    return notice


def _point_inside(rng, unit):
    ring = json.loads(unit.jurisdiction)["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return round(rng.uniform(min(xs) + 0.01, max(xs) - 0.01), 5), round(rng.uniform(min(ys) + 0.01, max(ys) - 0.01), 5)


def _picture(dbsession, media_store, rng, notice):
    draw = pictures.portrait if notice.kind in ("missing_person", "wanted") else pictures.thing
    original = draw(rng, f"{notice.kind} {notice.id}")
    key, sha, size = media_store.put_bytes(original, ".jpg")
    copies = derive_public_copies(media_store, key)
    dbsession.add(Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                        original_key=key, alt_text=notice.title, **copies))


def print_report(report: SeedReport, out=sys.stdout) -> None:
    print("Demo data created." if report.created else "Demo data already present; nothing changed.", file=out)
    print("\nDemo staff logins (local demo only; never use these passwords anywhere real):", file=out)
    print(f"  {'username':<18} {'password':<20} {'unit':<8} roles", file=out)
    for username, password, roles, unit in report.logins:
        print(f"  {username:<18} {password:<20} {unit:<8} {', '.join(roles)}", file=out)
    print("\nThe admin sets up two-step sign-in (an authenticator app) at the first sign-in.", file=out)
    print("Demo receipt codes of families' requests, to try /status:", file=out)
    for code, state in zip(report.receipts, [state for state, _unit in WAITING_REQUESTS], strict=True):
        print(f"  {format_code(code)}  ({state})", file=out)
    if report.tips_added and not report.created:
        print(f"\n{report.tips_added} demo tips added.", file=out)
    print("Demo receipt codes of tips, to try /status:", file=out)
    for code in report.tip_receipts:
        print(f"  {format_code(code)}", file=out)
    print(file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    with db_session(settings) as dbsession:
        report = seed(dbsession, make_media_store(settings),
                      FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
                      ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
