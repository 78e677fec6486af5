"""One poll of either side: the other side's signals after the cursor and the call's state, waiting
(bounded, see waiting.py) until there is news or the wait is over."""
from sqlalchemy import select

from portal.calls import signaling
from portal.calls.models import Call
from portal.calls.services import seen


def poll(request, call: Call, side: str, after: int, version: int, wait: float) -> tuple[Call, list]:
    dbsession = request.dbsession

    def news():
        # Columns, not the mapped row: the row in this session's identity map would not change.
        current = dbsession.execute(select(Call.version).where(Call.id == call.id)).scalar_one()
        signals = signaling.for_side(dbsession, call.id, side, after)
        return (signals, current) if signals or current != version else None

    found = request.registry["call_bell"].wait_for(news, wait)
    signals = found[0] if found else []
    dbsession.refresh(call)
    # Written after the wait: on SQLite a write holds the database's one write lock until commit.
    seen(call, side)
    return call, signals
