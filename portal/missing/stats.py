"""Families' missing-person requests in an officer's scope (by the command center that verifies them,
as in the dispatchers' queue): how many came in a date range, where they stand, and how long they took
from the family's request to the published appeal (median and 90th percentile, per center and overall).

Only counts and durations leave here: never a name, a contact or a reason."""
from dataclasses import dataclass, field

from sqlalchemy import func, join, literal, select

from portal.core.durations import NONE_YET, Durations, grouped_durations, overall, seconds_between
from portal.core.stats_range import DateRange
from portal.missing.models import MISSING_REQUEST_STATES, MissingPersonRequest
from portal.notices.models import Notice
from portal.units.models import Unit
from portal.units.scope import units_in_scope


@dataclass
class MissingStats:
    units: list[Unit]  # the officer's scope, in tree order
    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_center: dict[int, int] = field(default_factory=dict)  # requests per command center
    to_publication: Durations = NONE_YET
    to_publication_by_center: dict[int, Durations] = field(default_factory=dict)


def collect(dbsession, officer, dates: DateRange) -> MissingStats:
    """Requests received in the range (by their created_at)."""
    units = units_in_scope(dbsession, officer)
    stats = MissingStats(units=units, by_state=dict.fromkeys(MISSING_REQUEST_STATES, 0))
    where = [MissingPersonRequest.command_unit_id.in_([u.id for u in units]),
             *dates.conditions(MissingPersonRequest.created_at)]
    for center, state, n in dbsession.execute(
            select(MissingPersonRequest.command_unit_id, MissingPersonRequest.state, func.count())
            .where(*where).group_by(MissingPersonRequest.command_unit_id, MissingPersonRequest.state)):
        stats.total += n
        stats.by_state[state] += n
        stats.by_center[center] = stats.by_center.get(center, 0) + n
    # The appeal's publication stays stamped after it is resolved or withdrawn, so those count too.
    seconds = seconds_between(dbsession, MissingPersonRequest.created_at, Notice.published_at)
    joined = join(MissingPersonRequest, Notice, Notice.id == MissingPersonRequest.notice_id)
    [everything] = grouped_durations(dbsession, literal(0), [seconds], *where, from_=joined)
    stats.to_publication = overall(everything)
    [stats.to_publication_by_center] = grouped_durations(dbsession, MissingPersonRequest.command_unit_id, [seconds],
                                                         *where, from_=joined)
    return stats
