"""The schema comes only from Alembic: the models and the migrations must agree, and every
revision must go down and up again with rows in the tables. Runs on SQLite and PostgreSQL."""
from datetime import UTC

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from portal.audit import chain as audit
from portal.audit import keys
from portal.audit.models import AuditEvent
from portal.audit.verify import verify
from portal.core.db import get_engine
from portal.core.meta import Base, utcnow
from portal.notices.search_index import include_name
from tests.conftest import TEST_AUDIT_KEY, alembic_config, migrate, own_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    """A database of its own, so going down to base does not disturb the other tests."""
    if request.param == "sqlite":
        engine = get_engine({"sqlalchemy.url": f"sqlite:///{tmp_path}/migrations.sqlite"})
        yield engine
        engine.dispose()
        return
    with own_postgres_database("migrations") as url:
        engine = get_engine({"sqlalchemy.url": url})
        yield engine
        engine.dispose()


def revisions():
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_models_and_migrations_agree(empty_engine):
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def insert_rows(connection, revision):
    """Rows for the tables that exist at a revision, written with plain SQL as old code would."""
    connection.execute(text(
        "INSERT INTO units (code, path, level, name_zh, name_en, name_ug, phone_110, sms_suffix, is_command_center) "
        "VALUES ('990000', '/990000/', 'province', '省', 'Province', '', '110', '', true)"))
    unit_id = connection.execute(text("SELECT id FROM units WHERE code = '990000'")).scalar_one()
    connection.execute(text(
        "INSERT INTO officers (username, display_name, password_hash, totp_enabled, unit_id, active, failed_logins,"
        " created_at) VALUES ('o1', 'O', 'x', false, :u, true, 0, CURRENT_TIMESTAMP)"), {"u": unit_id})
    sealed = {c["name"] for c in inspect(connection).get_columns("audit_events")} >= {"seq", "key_id"}  # 0016 on
    connection.execute(text(
        "INSERT INTO audit_events (at, actor, ip, action, object_type, object_id, from_state, to_state, reason,"
        f" prev_hash, hash{', seq, key_id' if sealed else ''}) VALUES (CURRENT_TIMESTAMP, 'system', '', 'x', '', '',"
        f" '', '', '', :p, :h{', 1, :k' if sealed else ''})"), {"p": "0" * 64, "h": "1" * 64, "k": "t1"})
    if revision >= "0002":  # notices exist from 0002 on
        values = {"kind": "missing_person", "state": "published", "unit_id": unit_id, "title": "寻人", "body": "",
                  "slug": "s", "version": 1}
        # Text columns added by later revisions are NOT NULL without a default: give them ''.
        for column in inspect(connection).get_columns("notices"):
            if not column["nullable"] and column["name"] not in values and column["name"] != "id" \
                    and not column["name"].endswith("_at"):
                values[column["name"]] = ""
        names = ", ".join(values) + ", created_at, updated_at, published_at"
        params = ", ".join(f":{k}" for k in values) + ", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
        connection.execute(text(f"INSERT INTO notices ({names}) VALUES ({params})"), values)
        notice_id = connection.execute(text("SELECT id FROM notices")).scalar_one()
        connection.execute(text(
            "INSERT INTO missing_person_details (notice_id, full_name, sex, build, hair, eyes, clothing,"
            " distinguishing_marks, last_seen_place, circumstances) VALUES (:n, '张三', 'male', '', '', '', '', '',"
            " '', '')"), {"n": notice_id})
        insert_media(connection, notice_id)
    if revision >= "0004":  # missing-person requests and sightings
        connection.execute(text(
            "INSERT INTO missing_requests (state, notice_id, accepting_unit_id, accepting_unit_phone,"
            " acceptance_receipt_no, command_unit_id, family_contact, family_confirmed, unit_confirmed,"
            " verification_how, reason, created_at, updated_at, version) VALUES ('submitted', :n, :u, '110',"
            " 'R-1', :u, 'sealed', false, false, '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
            {"n": notice_id, "u": unit_id})
        connection.execute(text(
            "INSERT INTO sightings (notice_id, unit_id, state, place, lat, lon, text, reason, created_at, updated_at)"
            " VALUES (:n, :u, 'received', '桥下', 39.9, 116.4, '看见了', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"n": notice_id, "u": unit_id})
    if revision >= "0008":  # tips with an answer, a message and a reward
        connection.execute(text(
            "INSERT INTO tip_categories (slug, position, names, descriptions, danger, retired, created_at, updated_at)"
            " VALUES ('migration-test', 99, '{\"zh_CN\": \"测试\"}', '{}', false, false, CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)"))
        category_id = connection.execute(
            text("SELECT id FROM tip_categories WHERE slug = 'migration-test'")).scalar_one()
        connection.execute(text(
            "INSERT INTO tip_questions (category_id, key, position, kind, required, labels, choices, danger_values,"
            " retired) VALUES (:c, 'q', 0, 'text', false, '{}', '[]', '[]', false)"), {"c": category_id})
        connection.execute(text(
            "INSERT INTO tips (category_id, unit_id, state, description, place, danger, flagged, reason, created_at,"
            " updated_at, version) VALUES (:c, :u, 'received', '有人卖枪', '', false, false, '', CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP, 1)"), {"c": category_id, "u": unit_id})
        tip_id = connection.execute(text("SELECT id FROM tips")).scalar_one()
        connection.execute(text(
            "INSERT INTO tip_answers (tip_id, question_id, value) SELECT :t, id, 'x' FROM tip_questions"
            " WHERE category_id = :c"), {"t": tip_id, "c": category_id})
        connection.execute(text(
            "INSERT INTO tip_messages (tip_id, author, internal, body, created_at) VALUES (:t, 'reporter', false,"
            " '补充', CURRENT_TIMESTAMP)"), {"t": tip_id})
        officer_id = connection.execute(text("SELECT id FROM officers")).scalar_one()
        connection.execute(text(
            "INSERT INTO tip_rewards (tip_id, state, amount, reason, decision_reason, proposed_by_id, proposed_at,"
            " version) VALUES (:t, 'proposed', 500, 'useful', '', :o, CURRENT_TIMESTAMP, 1)"),
            {"t": tip_id, "o": officer_id})


def insert_media(connection, notice_id, name="IMG_0001 张三.jpg"):
    """A photo of a notice, with its file's own name in clear before it was sealed, sealed after."""
    columns = {c["name"] for c in inspect(connection).get_columns("media")}
    named = {"original_name": name} if "original_name" in columns else {}
    values = {"notice_id": notice_id, "position": 0, "kind": "image", "sha256": "a" * 64, "size": 1,
              "content_type": "image/jpeg", "original_key": "aa/aa/a.jpg", "alt_text": "", **named}
    connection.execute(text(f"INSERT INTO media ({', '.join(values)}, uploaded_at) VALUES "
                            f"({', '.join(':' + k for k in values)}, CURRENT_TIMESTAMP)"), values)


def test_every_revision_goes_down_and_up_with_rows_present(empty_engine):
    all_revisions = revisions()
    assert all_revisions[0] == "0001"
    for index, revision in enumerate(all_revisions):
        migrate(empty_engine, revision)
        with empty_engine.begin() as connection:
            for table in ("tip_rewards", "tip_messages", "tip_answers", "tips", "tip_questions",
                          "tip_categories WHERE slug = 'migration-test'", "notice_search", "sightings",
                          "missing_requests", "missing_person_details", "media", "notices", "audit_events",
                          "officer_roles", "officers", "units"):
                if inspect(connection).has_table(table.split()[0]):
                    connection.execute(text(f"DELETE FROM {table}"))
            insert_rows(connection, revision)
        below = all_revisions[index - 1] if index else "base"
        migrate(empty_engine, below, downgrade=True)
        migrate(empty_engine, revision)
    migrate(empty_engine, "base", downgrade=True)
    with empty_engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    migrate(empty_engine)
    with empty_engine.begin() as connection:
        insert_rows(connection, all_revisions[-1])
        assert connection.execute(text("SELECT count(*) FROM notices")).scalar_one() == 1


def test_default_tip_categories_go_down_only_while_no_tip_uses_them(empty_engine):
    """0009 writes the ten default categories; its downgrade leaves a default that a tip uses (the tip
    keeps its category and answers), and upgrading again leaves that row as it is."""
    migrate(empty_engine, "0009")
    with empty_engine.begin() as connection:
        slugs = connection.execute(text("SELECT slug FROM tip_categories ORDER BY position")).scalars().all()
        assert len(slugs) == 10 and slugs[0] == "organized-crime" and slugs[-1] == "other"
        insert_rows(connection, "0008")  # a unit, an officer and a tip in category 'migration-test'
        connection.execute(text("UPDATE tips SET category_id = (SELECT id FROM tip_categories WHERE slug = 'drugs')"))
        connection.execute(text("UPDATE tip_categories SET names = '{\"zh_CN\": \"改过的名字\"}' WHERE slug = 'drugs'"))
    migrate(empty_engine, "0008", downgrade=True)
    with empty_engine.connect() as connection:
        left = connection.execute(text("SELECT slug FROM tip_categories ORDER BY slug")).scalars().all()
        assert left == ["drugs", "migration-test"]
        assert connection.execute(text(
            "SELECT count(*) FROM tip_questions q JOIN tip_categories c ON c.id = q.category_id"
            " WHERE c.slug = 'drugs'")).scalar_one() == 2
    migrate(empty_engine, "0009")
    with empty_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT c.slug, c.names, (SELECT count(*) FROM tip_questions q WHERE q.category_id = c.id)"
            " FROM tip_categories c")).all()
        assert len(rows) == 11
        drugs = next(r for r in rows if r[0] == "drugs")
        assert "改过的名字" in str(drugs[1]) and drugs[2] == 2  # as the administrators left it, not doubled


def test_original_names_are_sealed_going_up_and_opened_going_down(empty_engine):
    """0013 seals the names already stored with the settings' field key (development.ini's here), and
    its downgrade opens them again."""
    from pyramid.paster import get_appsettings

    from portal.media.models import ORIGINAL_NAME_LABEL
    from portal.privacy.crypto import FieldCipher

    settings = get_appsettings(alembic_config().config_file_name)
    cipher = FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"])
    migrate(empty_engine, "0010")
    with empty_engine.begin() as connection:
        insert_rows(connection, "0010")
        notice_id = connection.execute(text("SELECT id FROM notices")).scalar_one()
        connection.execute(text("UPDATE media SET original_name = '' WHERE id = (SELECT min(id) FROM media)"))
        insert_media(connection, notice_id, name="张三的身份证.jpg")
    migrate(empty_engine, "0013")
    with empty_engine.connect() as connection:
        stored = connection.execute(text("SELECT original_name_sealed FROM media ORDER BY id")).scalars().all()
        assert "original_name" not in {c["name"] for c in inspect(connection).get_columns("media")}
    assert stored[0] is None  # no name, nothing to seal
    assert "张三" not in stored[1] and cipher.decrypt(stored[1], ORIGINAL_NAME_LABEL) == "张三的身份证.jpg"
    migrate(empty_engine, "0010", downgrade=True)
    with empty_engine.connect() as connection:
        names = connection.execute(text("SELECT original_name FROM media ORDER BY id")).scalars().all()
    assert names == ["", "张三的身份证.jpg"]


def test_without_a_field_key_the_names_are_dropped_not_kept(empty_engine):
    migrate(empty_engine, "0010")
    with empty_engine.begin() as connection:
        insert_rows(connection, "0010")
    config = alembic_config()
    config.attributes["field_cipher"] = None  # settings without a field key
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013")
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT original_name_sealed FROM media")).scalars().all() == [None]


def test_ended_notices_get_the_time_they_left_the_public_site(empty_engine):
    """0015 adds notices.ended_at (how long a CAP Cancel stays in the feed) and fills it for notices that
    were public: resolved at their resolution, expired at their expiry time, retracted at their last
    change; a notice retracted before it was ever published gets none."""
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0015").down_revision
    migrate(empty_engine, before)
    with empty_engine.begin() as connection:
        insert_rows(connection, before)  # one published appeal
        first = connection.execute(text("SELECT * FROM notices")).mappings().one()
        copy = {k: v for k, v in first.items() if k != "id"}
        cases = {"resolved": "2026-01-02 00:00:00+00:00", "expired": "2026-01-03 00:00:00+00:00",
                 "retracted": "2026-01-04 00:00:00+00:00", "never public": "2026-01-05 00:00:00+00:00"}
        for slug, at in cases.items():
            row = dict(copy, slug=slug, state="retracted" if slug == "never public" else slug,
                       resolved_at=at if slug == "resolved" else None, expires_at=at if slug == "expired" else None,
                       updated_at=at, published_at=None if slug == "never public" else copy["published_at"])
            connection.execute(text(f"INSERT INTO notices ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"),
                               row)
    migrate(empty_engine, "0015")
    with empty_engine.connect() as connection:
        ended = dict(connection.execute(text("SELECT slug, ended_at FROM notices")).all())
    assert ended["s"] is None and ended["never public"] is None  # still published; never public
    for slug in ("resolved", "expired", "retracted"):
        assert str(ended[slug]).startswith(cases[slug][:10]), (slug, ended[slug])
    migrate(empty_engine, before, downgrade=True)
    with empty_engine.connect() as connection:
        assert "ended_at" not in {c["name"] for c in inspect(connection).get_columns("notices")}


def test_0034_turns_an_age_into_a_range_and_gives_approved_notices_their_badge(empty_engine):
    """0034: an appeal's one age becomes min = max (and back, going down); its map stays district-only;
    a staff-written notice approved before gets the badge of its approver's unit at its publication,
    one never approved gets none; going down removes those badges (they did not exist)."""
    migrate(empty_engine, "0033")
    with empty_engine.begin() as connection:
        insert_rows(connection, "0033")  # one published appeal, one officer
        connection.execute(text("UPDATE missing_person_details SET age = 9"))
        first = connection.execute(text("SELECT * FROM notices")).mappings().one()
        officer = connection.execute(text("SELECT id, unit_id FROM officers")).one()
        for slug, approver in (("approved", officer.id), ("unapproved", None)):
            row = {k: v for k, v in first.items() if k != "id"}
            row.update(slug=slug, kind="wanted", approver_id=approver)
            connection.execute(text(f"INSERT INTO notices ({', '.join(row)}) VALUES "
                                    f"({', '.join(':' + k for k in row)})"), row)
    migrate(empty_engine, "0034")
    with empty_engine.connect() as connection:
        ages = connection.execute(text("SELECT age_min, age_max, last_seen_precision, medical_needs_public "
                                       "FROM missing_person_details")).one()
        badges = {r.slug: r for r in connection.execute(text("SELECT slug, verified_by_unit_id, verified_at, "
                                                                 "published_at FROM notices"))}
    assert tuple(ages) == (9, 9, "district", False)
    assert badges["approved"].verified_by_unit_id == officer.unit_id
    assert badges["approved"].verified_at == badges["approved"].published_at
    assert badges["unapproved"].verified_by_unit_id is None and badges["s"].verified_by_unit_id is None
    migrate(empty_engine, "0033", downgrade=True)
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT age FROM missing_person_details")).scalar_one() == 9
        assert connection.execute(text("SELECT count(*) FROM notices WHERE verified_by_unit_id IS NOT NULL"))\
            .scalar_one() == 0


AUDIT_EVENTS = sa.table(
    "audit_events", *(sa.column(name) for name in ("actor", "ip", "action", "object_type", "object_id", "from_state",
                                                   "to_state", "reason", "prev_hash", "hash")),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("officer_id", sa.Integer))


def migrate_with_settings(engine, revision, settings, downgrade=False):
    """As migrate(), with the settings alembic reads the audit key from (migrations/env.py)."""
    config = alembic_config()
    config.attributes["settings"] = settings
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def write_plain_chain(engine, reasons, break_at=None):
    """Events as the code before 0016 wrote them: plain SHA-256, each over the previous hash."""
    prev = audit.GENESIS
    with engine.begin() as connection:
        for index, reason in enumerate(reasons):
            row = {"at": utcnow(), "officer_id": None, "actor": "system", "ip": "", "action": f"old.{index}",
                   "object_type": "", "object_id": "", "from_state": "", "to_state": "", "reason": reason,
                   "prev_hash": prev}
            row["hash"] = audit.legacy_hash(AuditEvent(**row))
            if index == break_at:
                row["reason"] = "changed before the key existed"
            connection.execute(AUDIT_EVENTS.insert().values(**row))
            prev = row["hash"]


def plain_chain_holds(engine) -> bool:
    prev = audit.GENESIS
    with Session(engine) as session:
        rows = session.execute(sa.select(AUDIT_EVENTS).order_by(sa.text("id"))).mappings().all()
    for row in rows:
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)  # SQLite gives it back naive
        if row["prev_hash"] != prev or audit.legacy_hash(AuditEvent(**{**row, "at": at})) != row["hash"]:
            return False
        prev = row["hash"]
    return True


@pytest.mark.parametrize("break_at", [None, 1])
def test_0016_seals_the_plain_chain_under_the_key_and_says_how_it_found_it(empty_engine, break_at):
    settings = {"portal.audit_key": TEST_AUDIT_KEY}
    migrate_with_settings(empty_engine, "0010", settings)
    write_plain_chain(empty_engine, ["a", "b", "c"], break_at=break_at)
    migrate_with_settings(empty_engine, "0016", settings)
    with Session(empty_engine, info={"settings": settings}) as session:
        assert verify(session, keys.parse(TEST_AUDIT_KEY)).ok
        sealed = session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert (sealed.action, sealed.seq, sealed.key_id) == ("audit.sealed", 4, "t1")
        assert sealed.reason.startswith("3 events sealed with audit key t1; the plain SHA-256 chain before was ")
        assert sealed.reason.endswith("intact" if break_at is None else "broken: event 2 did not match its hash"
                                      " (a row altered)")
        audit.append(session, "new.event", actor="system")  # the application goes on from there
        session.commit()
        assert verify(session, keys.parse(TEST_AUDIT_KEY)).ok
    migrate_with_settings(empty_engine, "0010", settings, downgrade=True)
    assert plain_chain_holds(empty_engine)  # what the code before 0016 checks


def test_0016_needs_the_key_when_there_are_events_to_seal(empty_engine):
    migrate_with_settings(empty_engine, "0010", {})
    write_plain_chain(empty_engine, ["a"])
    with pytest.raises(RuntimeError, match="PORTAL_AUDIT_KEY"):
        migrate_with_settings(empty_engine, "0016", {})
