"""Keyset pagination: pages are found by the last row seen, never by OFFSET."""
import re
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Microseconds since 1970 (UTC) and the row id: every string of this shape is a position a page can
# start after, so the OpenAPI document can say exactly which cursors the API accepts.
CURSOR_PATTERN = r"^[0-9]{1,17}_[1-9][0-9]{0,8}$"
_CURSOR = re.compile(CURSOR_PATTERN.rstrip("$") + r"\Z")


class BadCursor(ValueError):
    pass


def encode_cursor(at: datetime, row_id: int) -> str:
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{(moment - EPOCH) // timedelta(microseconds=1)}_{row_id}"


def decode_cursor(token: str) -> tuple[datetime, int]:
    if not _CURSOR.match(token):
        raise BadCursor("the page link is not valid")
    micros, _, row_id = token.partition("_")
    return EPOCH + timedelta(microseconds=int(micros)), int(row_id)
