"""Families' missing-person requests in an officer's scope (by the command center that verifies them,
as in the dispatchers' queue): how many came in a date range, where they stand, and how long they took
from the family's request to the published appeal (median and 90th percentile, per center and overall).

Only counts and durations leave here: never a name, a contact or a reason."""
from dataclasses import dataclass, field

from sqlalchemy import join, literal

from portal.core.durations import NONE_YET, Durations, grouped_durations, overall, seconds_between
from portal.core.stats_range import DateRange, counts_by_unit_and_state
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
    where = [MissingPersonRequest.command_unit_id.in_([u.id for u in units]),
             *dates.conditions(MissingPersonRequest.created_at)]
    counts = counts_by_unit_and_state(dbsession, MissingPersonRequest.command_unit_id, MissingPersonRequest.state,
                                      MISSING_REQUEST_STATES, where)
    stats = MissingStats(units=units, total=counts.total, by_state=counts.by_state, by_center=counts.by_unit)
    # The appeal's publication stays stamped after it is resolved or withdrawn, so those count too.
    seconds = seconds_between(dbsession, MissingPersonRequest.created_at, Notice.published_at)
    joined = join(MissingPersonRequest, Notice, Notice.id == MissingPersonRequest.notice_id)
    [everything] = grouped_durations(dbsession, literal(0), [seconds], *where, from_=joined)
    stats.to_publication = overall(everything)
    [stats.to_publication_by_center] = grouped_durations(dbsession, MissingPersonRequest.command_unit_id, [seconds],
                                                         *where, from_=joined)
    return stats
