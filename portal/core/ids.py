"""Row ids as people and links send them: ASCII digits only, within the 32-bit range."""

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def record_id(value) -> int | None:
    """A row id typed into a form, a query string or a path, or None. ASCII digits only: str.isdigit()
    also takes "²" or "٣", which int() refuses or reads as another number."""
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    # Ten digits at most: int() refuses very long strings with a ValueError of its own.
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
