"""The tamper-evident audit log: append events, verify the chain."""
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x5AFE_A0D1  # serialises appends on PostgreSQL so the chain never forks


def event_hash(event: AuditEvent) -> str:
    payload = json.dumps(
        [
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
            event.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    """Append one event in the caller's transaction, chained to the newest row."""
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = dbsession.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    event = AuditEvent(
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
        prev_hash=last or GENESIS,
    )
    event.hash = event_hash(event)
    dbsession.add(event)
    dbsession.flush()
    return event


def record(request, action: str, **kw) -> AuditEvent:
    """Append an event for the current request: its officer (if any) and client address."""
    kw.setdefault("officer", request.identity)
    kw.setdefault("ip", request.client_addr or "")
    return append(request.dbsession, action, **kw)


@dataclass
class ChainBreak:
    event_id: int
    problem: str


def verify_chain(dbsession, batch: int = 1000) -> tuple[int, ChainBreak | None]:
    """Walk the whole log in id order; return how many rows were checked and the first break."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = dbsession.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            return checked, None
        for event in rows:
            if event.prev_hash != expected_prev:
                return checked, ChainBreak(event.id, "previous-hash link does not match (row removed or reordered)")
            if event_hash(event) != event.hash:
                return checked, ChainBreak(event.id, "row content does not match its hash (row altered)")
            expected_prev = event.hash
            checked += 1
            last_id = event.id
        dbsession.expunge_all()
