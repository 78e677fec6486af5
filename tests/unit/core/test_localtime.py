from datetime import UTC, datetime

import colander

from portal.core.localtime import LOCAL_TZ, LocalDateTime, local_time


def test_stored_utc_times_are_shown_in_beijing_time():
    assert local_time(datetime(2026, 11, 25, 17, 30, tzinfo=UTC)) == "2026-11-26 01:30"
    assert local_time(datetime(2026, 11, 25, 17, 30, tzinfo=UTC), "%Y-%m-%d") == "2026-11-26"
    assert local_time(None) == ""


def test_form_times_are_read_and_shown_as_people_here_type_them():
    node = colander.SchemaNode(LocalDateTime())
    typed = node.deserialize("2026-12-31 18:00")
    assert typed.utcoffset() == LOCAL_TZ.utcoffset(None) and typed.astimezone(UTC).hour == 10
    assert node.serialize(datetime(2026, 12, 31, 10, 0, tzinfo=UTC)) == "2026-12-31 18:00"
