"""Alarms routed to the command centers in an officer's scope, in a date range: how many each center
received, how they ended, and how long they waited to be acknowledged and to be dispatched, from the
moment they arrived (median and 90th percentile, per center and overall).

The steps are stamped by alarms/dispatch.py: acknowledged_at when a dispatcher takes the alarm (a
dispatch without an acknowledgement stamps both), dispatched_at when units are sent. Alarms closed or
cancelled before a step simply do not count for it. Only counts and durations leave here: never a
place, a message or a contact."""
from dataclasses import dataclass, field

from sqlalchemy import literal

from portal.alarms.models import ALARM_STATES, Alarm
from portal.core.durations import NONE_YET, Durations, grouped_durations, overall, seconds_between
from portal.core.stats_range import DateRange, counts_by_unit_and_state
from portal.units.models import Unit
from portal.units.scope import units_in_scope


@dataclass
class AlarmStats:
    units: list[Unit]  # the officer's scope, in tree order
    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_center: dict[int, int] = field(default_factory=dict)
    acknowledge: Durations = NONE_YET
    dispatch: Durations = NONE_YET
    acknowledge_by_center: dict[int, Durations] = field(default_factory=dict)
    dispatch_by_center: dict[int, Durations] = field(default_factory=dict)

    @property
    def centers(self) -> list[Unit]:
        """The command centers in scope, and any other unit that received alarms, in tree order."""
        return [u for u in self.units if u.is_command_center or u.id in self.by_center]


def collect(dbsession, officer, dates: DateRange) -> AlarmStats:
    """Alarms received in the range (by their created_at)."""
    units = units_in_scope(dbsession, officer)
    where = [Alarm.unit_id.in_([u.id for u in units]), *dates.conditions(Alarm.created_at)]
    counts = counts_by_unit_and_state(dbsession, Alarm.unit_id, Alarm.state, ALARM_STATES, where)
    stats = AlarmStats(units=units, total=counts.total, by_state=counts.by_state, by_center=counts.by_unit)
    to_ack = seconds_between(dbsession, Alarm.created_at, Alarm.acknowledged_at)
    to_dispatch = seconds_between(dbsession, Alarm.created_at, Alarm.dispatched_at)
    stats.acknowledge, stats.dispatch = map(overall, grouped_durations(dbsession, literal(0), [to_ack, to_dispatch],
                                                                       *where))
    stats.acknowledge_by_center, stats.dispatch_by_center = grouped_durations(dbsession, Alarm.unit_id,
                                                                              [to_ack, to_dispatch], *where)
    return stats
