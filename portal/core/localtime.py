"""Times for people: stored in UTC, typed and shown in the service's own time (China Standard Time).

China keeps UTC+8 all year with no daylight saving, so a fixed offset is exact and needs no time-zone
database. Machine-readable times (feeds, CAP, the API, `datetime=` attributes) stay in UTC."""
from datetime import UTC, datetime, timedelta, timezone

import colander

LOCAL_TZ = timezone(timedelta(hours=8), "UTC+8")
MINUTES = "%Y-%m-%d %H:%M"


def local_time(value: datetime | None, fmt: str = MINUTES) -> str:
    """A stored UTC time as people here read it ("" for none)."""
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value is not None else ""


def machine_time(value: datetime | None) -> str:
    """A time for `<time datetime>` and metadata: UTC to the second ("2026-12-06T09:49:27+00:00"), as
    HTML allows (it refuses more than three digits of a second, which isoformat() writes)."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else ""


def local_today():
    return datetime.now(LOCAL_TZ).date()


class LocalDateTime(colander.DateTime):
    """A form field for a time as people here type and read it ("2026-12-31 18:00", China Standard
    Time); the application gets an aware datetime, stored in UTC."""

    def __init__(self):
        super().__init__(default_tzinfo=LOCAL_TZ)

    def serialize(self, node, appstruct):
        if isinstance(appstruct, datetime):
            return local_time(appstruct)
        return super().serialize(node, appstruct)
