"""Keyset pagination: pages are found by the last row seen, never by OFFSET."""
import base64
from datetime import UTC, datetime


class BadCursor(ValueError):
    pass


def encode_cursor(at: datetime, row_id: int) -> str:
    raw = f"{at.isoformat(timespec='microseconds')}|{row_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        at, _, row_id = raw.partition("|")
        moment = datetime.fromisoformat(at)
        number = int(row_id)
        if moment.tzinfo is None or not 0 < number < 2**31:
            raise ValueError(token)
        # In UTC now, not when the database compares it: year 1 at +14:00 has no UTC time at all.
        moment = moment.astimezone(UTC)
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise BadCursor("the page link is not valid") from exc
    return moment, number
