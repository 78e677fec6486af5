"""portal-seed-demo INI: fill an empty database with the fictional demo province, once.

Running it again changes nothing; it prints the demo staff logins either way."""
import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ..demo import data, pictures
from ..models import Media, MissingPersonDetails, Notice, Unit
from ..models.meta import utcnow
from ..models.notice import NOTICE_KINDS
from ..services import audit, officers
from ..services.images import derive_public_copies
from ..services.media import LocalMediaStore
from .common import db_session, load_settings

NOTICES_PER_KIND = 8
PICTURED_KINDS = {"missing_person", "wanted", "lost_found", "vehicle"}


@dataclass
class SeedReport:
    created: bool
    logins: list = field(default_factory=lambda: [
        (username, data.DEMO_PASSWORD, roles, unit) for username, _name, unit, roles in data.OFFICERS
    ])


def seed(dbsession, media_store, now=None) -> SeedReport:
    if dbsession.execute(select(Unit.id).where(Unit.code == data.PROVINCE[0])).first():
        return SeedReport(created=False)
    now = now or utcnow()
    rng = random.Random(2026)  # the same demo every time
    units = _units(dbsession)
    for username, display_name, unit_code, roles in data.OFFICERS:
        officers.create(dbsession, username=username, password=data.DEMO_PASSWORD, unit=units[unit_code],
                        roles=roles, display_name=display_name)
    count = _notices(dbsession, media_store, rng, list(units.values()), now)
    audit.append(dbsession, "demo.seeded", actor="system", reason=f"{len(units)} units, {count} notices")
    return SeedReport(created=True)


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
                        original_name=f"{notice.slug}.jpg", original_key=key, alt_text=notice.title, **copies))


def print_report(report: SeedReport, out=sys.stdout) -> None:
    print("Demo data created." if report.created else "Demo data already present; nothing changed.", file=out)
    print("\nDemo staff logins (local demo only; never use these passwords anywhere real):", file=out)
    print(f"  {'username':<18} {'password':<20} {'unit':<8} roles", file=out)
    for username, password, roles, unit in report.logins:
        print(f"  {username:<18} {password:<20} {unit:<8} {', '.join(roles)}", file=out)
    print("\nThe admin sets up two-step sign-in (an authenticator app) at the first sign-in.\n", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    with db_session(settings) as dbsession:
        report = seed(dbsession, LocalMediaStore(settings["portal.media_dir"]))
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
