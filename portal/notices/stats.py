"""Notice statistics of an officer's unit and the units below it: how many notices of each kind were
published in a date range, and how many left the public site in it (resolved, expired, retracted).

Only counts leave here, never a title or a person's details; two small GROUP BYs do the work."""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.core.stats_range import DateRange
from portal.notices.models import NOTICE_KINDS, Notice
from portal.units.models import Unit
from portal.units.scope import units_in_scope

# The ways off the public site (notices/workflow.py); each stamps ended_at (Notice._note_the_end).
CLOSED_STATES = ("resolved", "expired", "retracted")


@dataclass
class NoticeStats:
    units: list[Unit]  # the officer's scope, in tree order
    published: dict[str, int] = field(default_factory=dict)  # kind -> published in the range
    closed: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> {closed state: count}
    published_by_unit: dict[int, int] = field(default_factory=dict)

    @property
    def total_published(self) -> int:
        return sum(self.published.values())

    @property
    def total_closed(self) -> int:
        return sum(sum(states.values()) for states in self.closed.values())


def collect(dbsession, officer, dates: DateRange) -> NoticeStats:
    units = units_in_scope(dbsession, officer)
    stats = NoticeStats(units=units, published=dict.fromkeys(NOTICE_KINDS, 0),
                        closed={kind: dict.fromkeys(CLOSED_STATES, 0) for kind in NOTICE_KINDS})
    in_scope = Notice.unit_id.in_([u.id for u in units])
    published = [in_scope, Notice.published_at.is_not(None), *dates.conditions(Notice.published_at)]
    for kind, unit_id, n in dbsession.execute(select(Notice.kind, Notice.unit_id, func.count())
                                              .where(*published).group_by(Notice.kind, Notice.unit_id)):
        stats.published[kind] += n
        stats.published_by_unit[unit_id] = stats.published_by_unit.get(unit_id, 0) + n
    closed = [in_scope, Notice.state.in_(CLOSED_STATES), Notice.ended_at.is_not(None),
              *dates.conditions(Notice.ended_at)]
    for kind, state, n in dbsession.execute(select(Notice.kind, Notice.state, func.count())
                                            .where(*closed).group_by(Notice.kind, Notice.state)):
        stats.closed[kind][state] = n
    return stats
