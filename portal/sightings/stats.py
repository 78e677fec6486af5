"""Sightings the public sent on notices of an officer's unit and the units below it, in a date range:
how many per notice and where they ended (received, reviewed, passed on to the investigators, closed).

Only counts leave here: never what the sender wrote, where, or their contact. Notices are named by
number and kind, not by title (a missing person's name would otherwise reach a CSV file). The notices
with the most sightings are listed, at most TOP_NOTICES of them, so the page stays small."""
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select

from portal.core.stats_range import DateRange, counts_by_unit_and_state
from portal.notices.models import Notice
from portal.sightings.models import SIGHTING_STATES, Sighting
from portal.units.models import Unit
from portal.units.scope import units_in_scope

TOP_NOTICES = 20


@dataclass(frozen=True)
class NoticeSightings:
    notice_id: int
    kind: str
    total: int
    by_state: dict[str, int]


@dataclass
class SightingStats:
    units: list[Unit]  # the officer's scope, in tree order
    total: int = 0
    notices: int = 0  # notices with at least one sighting in the range
    by_state: dict[str, int] = field(default_factory=dict)
    by_unit: dict[int, int] = field(default_factory=dict)
    top: list[NoticeSightings] = field(default_factory=list)  # most sightings first

    @property
    def per_notice(self) -> float | None:
        return self.total / self.notices if self.notices else None


def collect(dbsession, officer, dates: DateRange) -> SightingStats:
    """Sightings received in the range (by their created_at), by the unit of their notice."""
    units = units_in_scope(dbsession, officer)
    where = [Sighting.unit_id.in_([u.id for u in units]), *dates.conditions(Sighting.created_at)]
    counts = counts_by_unit_and_state(dbsession, Sighting.unit_id, Sighting.state, SIGHTING_STATES, where)
    stats = SightingStats(units=units, total=counts.total, by_state=counts.by_state, by_unit=counts.by_unit)
    stats.notices = dbsession.execute(select(func.count(distinct(Sighting.notice_id))).where(*where)).scalar_one()
    stats.top = _top_notices(dbsession, where)
    return stats


def _top_notices(dbsession, where) -> list[NoticeSightings]:
    busiest = dbsession.execute(
        select(Sighting.notice_id, Notice.kind, func.count()).join(Notice, Notice.id == Sighting.notice_id)
        .where(*where).group_by(Sighting.notice_id, Notice.kind)
        .order_by(func.count().desc(), Sighting.notice_id).limit(TOP_NOTICES)).all()
    states: dict[int, dict[str, int]] = {notice_id: dict.fromkeys(SIGHTING_STATES, 0) for notice_id, _, _ in busiest}
    if states:
        for notice_id, state, n in dbsession.execute(
                select(Sighting.notice_id, Sighting.state, func.count())
                .where(*where, Sighting.notice_id.in_(list(states))).group_by(Sighting.notice_id, Sighting.state)):
            states[notice_id][state] = n
    return [NoticeSightings(notice_id, kind, n, states[notice_id]) for notice_id, kind, n in busiest]
