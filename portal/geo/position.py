"""A position on Earth (WGS-84) as phones and maps send it, and the one validator every domain reads
it with: alarms and their updates, trips, tips, sightings, missing-person requests, routing.

What arrives is text or JSON from anyone. Only finite numbers are taken: NaN and infinity slip past
range checks (every comparison with NaN is false) and would reach the database. Latitude and
longitude come together and lie within the world's bounds; accuracy is metres between 0 and the
caller's limit; the fix time is epoch milliseconds (what browsers give) or ISO 8601 text, and a time
too far from now to be a date at all (year 1 or 9999, with any offset) is refused, not a crash. Every
refusal is a `Refused` whose message people read in their language: 400 for what is malformed, 422
for a well-formed position that cannot be used (stale, in the future, too coarse)."""
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused

DEFAULT_MAX_ACCURACY_M = 50_000  # beyond this a "position" says nothing useful about where someone is
# Fix times are believed within this distance of now; anything further is garbage, not a date.
PLAUSIBLE_TIME = timedelta(days=366 * 20)

LAT_RANGE = _("The latitude lies outside the world's coordinates (between -90 and 90).")
LON_RANGE = _("The longitude lies outside the world's coordinates (between -180 and 180).")
TOGETHER = _("A position needs a latitude and a longitude: they come together.")
REQUIRED = _("A position needs a latitude and a longitude.")
TIME_NOT_UNDERSTOOD = _("The time of the position is not understood.")


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    accuracy_m: float | None = None
    located_at: datetime | None = None
    # The device's fix time was not understood and the server's time stands in (ignore_bad_time).
    time_replaced: bool = False


def number(value, not_a_number) -> float | None:
    """A finite float from text or JSON, None for nothing given; Refused(not_a_number) otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):  # JSON true/false are not coordinates
        raise Refused(not_a_number, 400)
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a huge JSON integer
        raise Refused(not_a_number, 400) from None
    if not math.isfinite(result):
        raise Refused(not_a_number, 400)
    return result


def parse_fix_time(value, now: datetime | None = None) -> datetime:
    """An aware UTC datetime from a datetime, epoch milliseconds or ISO 8601 text; Refused when it is
    not a time or lies absurdly far from now."""
    now = now or utcnow()
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, bool):
            raise ValueError(value)
        elif isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
            milliseconds = float(value)
            if not math.isfinite(milliseconds):
                raise ValueError(value)
            parsed = datetime.fromtimestamp(milliseconds / 1000, UTC)
        else:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        # astimezone can leave the datetime range (year 1 at +14:00): inside the try.
        parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        raise Refused(TIME_NOT_UNDERSTOOD, 400) from None
    if abs(parsed - now) > PLAUSIBLE_TIME:
        raise Refused(TIME_NOT_UNDERSTOOD, 400)
    return parsed


def read_position(lat, lon, accuracy_m=None, located_at=None, *, required: bool = False,
                  max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M, max_age: timedelta | None = None,
                  max_future: timedelta | None = None, keep_old: bool = False, ignore_bad_time: bool = False,
                  now=None) -> Position | None:
    """The position sent, None when none was (unless `required`), or Refused saying what is wrong.

    Without a fix time the position is taken as of now. `max_age` and `max_future` bound the fix
    time; `keep_old=True` (the alarm itself) keeps an old fix, which still says where to send help
    better than nothing, and takes a fix from a clock running ahead as taken now. `ignore_bad_time`
    (alarms and trips: a place must never be lost to a phone's broken clock) takes a fix time that
    is not understood as now and says so in `time_replaced`."""
    lat = number(lat, _("The latitude is not a number."))
    lon = number(lon, _("The longitude is not a number."))
    accuracy = number(accuracy_m, _("The accuracy is not a number."))
    if lat is None and lon is None:
        if required:
            raise Refused(REQUIRED, 400)
        return None
    if lat is None or lon is None:
        raise Refused(TOGETHER, 400)
    if not -90 <= lat <= 90:
        raise Refused(LAT_RANGE, 400)
    if not -180 <= lon <= 180:
        raise Refused(LON_RANGE, 400)
    if accuracy is not None and accuracy < 0:
        raise Refused(_("The accuracy cannot be negative."), 400)
    if accuracy is not None and accuracy > max_accuracy_m:
        raise Refused(_("The position is too inaccurate to be useful: its accuracy is more than ${m} m.",
                        mapping={"m": int(max_accuracy_m)}), 422)
    now = now or utcnow()
    at, replaced = now, False
    if located_at not in (None, ""):
        try:
            at = parse_fix_time(located_at, now)
        except Refused:
            if not ignore_bad_time:
                raise
            replaced = True
    if keep_old:
        return Position(lat, lon, accuracy, min(at, now), replaced)
    if max_age is not None and at < now - max_age:
        raise Refused(_("The position is stale: it is too old (more than ${minutes} minutes).",
                        mapping={"minutes": int(max_age.total_seconds() // 60)}), 422)
    if max_future is not None and at > now + max_future:
        raise Refused(_("The position's time lies in the future."), 422)
    return Position(lat, lon, accuracy, at, replaced)


def is_on_earth(lat, lon) -> bool:
    """True for a finite latitude and longitude within the world's bounds (routing's quick test)."""
    try:
        return read_position(lat, lon, keep_old=True) is not None
    except Refused:
        return False


EARTH_RADIUS_KM = 6371.0


def distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance between two points on Earth (haversine), in kilometres."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
