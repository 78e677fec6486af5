"""The tamper-evident audit log: append events, each sealed with the audit key and linked to the one
before it.

An event's `hash` is an HMAC-SHA256, under the audit key (audit/keys.py, never in the database), of
its position in the chain (`seq`), the key's id, its fields and the previous event's hash. Whoever
can write the database but lacks the key can neither change a row nor recompute the chain without
it showing; the worker's signed checkpoints (audit/checkpoints.py), kept outside the database, show
rows cut from the end. `portal-audit-verify` checks both (audit/verify.py)."""
import hashlib
import json

from sqlalchemy import select, text

from portal.audit import keys
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow

GENESIS = "0" * 64
EVENT_DOMAIN = "portal.audit.event/1"  # sealed messages of different kinds never coincide
_PG_LOCK_KEY = 0x5AFE_A0D1  # serialises appends on PostgreSQL so the chain never forks


def _fields(event: AuditEvent) -> list:
    return [
        event.at.isoformat(timespec="microseconds"),
        event.officer_id,
        event.actor,
        event.ip,
        event.action,
        event.object_type,
        event.object_id,
        event.from_state,
        event.to_state,
        event.reason,
    ]


def _dump(values: list) -> bytes:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sealed_message(event: AuditEvent) -> bytes:
    """What the seal covers: position, key id, every field and the link to the previous event."""
    return _dump([EVENT_DOMAIN, event.seq, event.key_id, *_fields(event), event.prev_hash])


def legacy_hash(event: AuditEvent) -> str:
    """The plain SHA-256 the log used before it was keyed (revision 0016 sealed those rows)."""
    return hashlib.sha256(_dump([*_fields(event), event.prev_hash])).hexdigest()


def plain_hashes(event: AuditEvent) -> set[str]:
    """Hashes anyone can compute without the key: a row carrying one was re-hashed, not sealed."""
    return {legacy_hash(event), hashlib.sha256(sealed_message(event)).hexdigest()}


def seal(keyring: keys.AuditKeyring, event: AuditEvent) -> str:
    return keyring.mac(event.key_id, sealed_message(event))


def keyring_of(dbsession) -> keys.AuditKeyring:
    """The audit key from the settings the session was made with (core/db.py puts them in its info)."""
    settings = dbsession.info.get("settings")
    request = dbsession.info.get("request")
    if settings is None and request is not None:
        settings = request.registry.settings
    return keys.from_settings(settings)


def append(
    dbsession,
    action: str,
    *,
    officer=None,
    actor: str | None = None,
    ip: str = "",
    object_type: str = "",
    object_id="",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one event in the caller's transaction, sealed and chained to the newest row."""
    keyring = keyring_of(dbsession)
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = dbsession.execute(
        select(AuditEvent.hash, AuditEvent.seq).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event = AuditEvent(
        seq=last.seq + 1 if last is not None else 1,
        key_id=keyring.current_id,
        at=utcnow(),
        officer_id=officer.id if officer is not None else None,
        actor=actor or (f"officer:{officer.username}" if officer is not None else "public"),
        ip=ip or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        from_state=from_state or "",
        to_state=to_state or "",
        reason=reason or "",
        prev_hash=last.hash if last is not None else GENESIS,
    )
    event.hash = seal(keyring, event)
    dbsession.add(event)
    dbsession.flush()
    return event


def record(request, action: str, **kw) -> AuditEvent:
    """Append an event for the current request: its officer (if any) and client address."""
    kw.setdefault("officer", request.identity)
    kw.setdefault("ip", request.client_addr or "")
    return append(request.dbsession, action, **kw)
