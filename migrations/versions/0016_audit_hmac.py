"""The audit log is sealed with a key: each event's hash becomes an HMAC-SHA256 under the audit key
(`portal.audit_key` or $PORTAL_AUDIT_KEY, read from the settings alembic runs with; never stored in
the database), over its position in the chain (`seq`, new), the key's id (`key_id`, new), its fields
and the previous event's hash.

Existing rows are checked as the plain SHA-256 chain they were, then sealed and re-linked under the
key, and one more event, `audit.sealed`, says how many were sealed and whether the plain chain was
intact before (and where it broke if not): after this revision every row follows the one rule, and
what was found before the key existed stays in the sealed chain. A log with rows needs the key.
The downgrade writes the plain SHA-256 chain again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
EVENT_DOMAIN = "portal.audit.event/1"  # as portal/audit/chain.py, frozen here
BATCH = 1000

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("key_id", sa.String),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("officer_id", sa.Integer),
    sa.column("actor", sa.String), sa.column("ip", sa.String), sa.column("action", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.String), sa.column("from_state", sa.String),
    sa.column("to_state", sa.String), sa.column("reason", sa.Text), sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
FIELDS = ("officer_id", "actor", "ip", "action", "object_type", "object_id", "from_state", "to_state", "reason")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fields(row) -> list:
    return [_utc(row["at"]).isoformat(timespec="microseconds"), *(row[name] for name in FIELDS)]


def _dump(values) -> bytes:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _legacy_hash(row, prev_hash) -> str:
    return hashlib.sha256(_dump([*_fields(row), prev_hash])).hexdigest()


def _seal(key_id, secret, row, seq, prev_hash) -> str:
    message = _dump([EVENT_DOMAIN, seq, key_id, *_fields(row), prev_hash])
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _signing_key():
    """The first id:secret of portal.audit_key, as portal/audit/keys.py reads it."""
    settings = context.config.attributes.get("settings") or {}
    entries = str(settings.get("portal.audit_key") or "").replace(",", " ").split()
    key_id, _, secret = entries[0].partition(":") if entries else ("", "", "")
    if not key_id or len(secret) < 32:
        raise RuntimeError(
            "revision 0016 seals the audit log's existing events with the audit key: set PORTAL_AUDIT_KEY "
            "(or portal.audit_key in the .ini alembic runs with) to the key the application will use, e.g. "
            "a1: followed by the output of python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
    return key_id, secret.encode("utf-8")


def _rows(bind):
    last_id = 0
    while True:
        rows = bind.execute(sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)) \
            .mappings().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1]["id"]


def _update(bind, changes):
    if changes:
        bind.execute(events.update().where(events.c.id == sa.bindparam("row_id"))
                     .values(seq=sa.bindparam("new_seq"), key_id=sa.bindparam("new_key_id"),
                             prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")), changes)
        changes.clear()


def _seal_existing(bind):
    if not bind.execute(sa.select(sa.func.count()).select_from(events)).scalar_one():
        return
    key_id, secret = _signing_key()
    legacy_prev, prev, seq, broken, changes = GENESIS, GENESIS, 0, "", []
    for row in _rows(bind):
        if not broken and row["prev_hash"] != legacy_prev:
            broken = f"event {row['id']} did not link to the event before it (a row removed or reordered)"
        elif not broken and _legacy_hash(row, row["prev_hash"]) != row["hash"]:
            broken = f"event {row['id']} did not match its hash (a row altered)"
        legacy_prev, seq = row["hash"], seq + 1
        new_hash = _seal(key_id, secret, row, seq, prev)
        changes.append({"row_id": row["id"], "new_seq": seq, "new_key_id": key_id, "new_prev": prev,
                        "new_hash": new_hash})
        prev = new_hash
        if len(changes) >= BATCH:
            _update(bind, changes)
    _update(bind, changes)
    sealed = {"at": datetime.now(UTC), "officer_id": None, "actor": "system", "ip": "", "action": "audit.sealed",
              "object_type": "", "object_id": "", "from_state": "", "to_state": "",
              "reason": f"{seq} events sealed with audit key {key_id}; the plain SHA-256 chain before was "
                        + (f"broken: {broken}" if broken else "intact")}
    bind.execute(events.insert().values(**sealed, seq=seq + 1, key_id=key_id, prev_hash=prev,
                                        hash=_seal(key_id, secret, sealed, seq + 1, prev)))


def upgrade():
    if context.is_offline_mode():
        raise RuntimeError("revision 0016 reads and seals the audit log's rows: run it against the database, not --sql")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    _seal_existing(op.get_bind())
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("key_id", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])


def downgrade():
    if context.is_offline_mode():
        raise RuntimeError("revision 0016 rewrites the audit log's hashes: run it against the database, not --sql")
    bind = op.get_bind()
    prev, changes = GENESIS, []
    for row in _rows(bind):
        new_hash = _legacy_hash(row, prev)
        changes.append({"row_id": row["id"], "new_seq": row["seq"], "new_key_id": row["key_id"], "new_prev": prev,
                        "new_hash": new_hash})
        prev = new_hash
        if len(changes) >= BATCH:
            _update(bind, changes)
    _update(bind, changes)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("key_id")
        batch_op.drop_column("seq")
