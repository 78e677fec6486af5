"""The bytes of resumable uploads (media/resumable/files.py): one writer at a time, appends that keep
what arrived, and stray files found once they are old."""
import io
import os

import pytest

from portal.media.resumable import files


def test_a_second_writer_is_refused_while_the_first_holds_the_file(tmp_path):
    files.create(str(tmp_path), "a" * 43)
    path = files.path(str(tmp_path), "a" * 43)
    with files.locked(path):
        with pytest.raises(files.Busy):
            with files.locked(path):
                pass
    with files.locked(path):  # free again
        pass


def test_append_writes_at_most_what_is_left_and_keeps_a_short_body(tmp_path):
    files.create(str(tmp_path), "b" * 43)
    path = files.path(str(tmp_path), "b" * 43)
    with files.locked(path) as f:
        assert files.append(f, 0, io.BytesIO(b"0123456789").read, 4) == 4
    with files.locked(path) as f:
        assert files.append(f, 4, io.BytesIO(b"45").read, 100) == 2  # the body ended early: kept
    assert open(path, "rb").read() == b"012345" and files.size(path) == 6


def test_append_stops_at_a_broken_connection_keeping_what_came(tmp_path):
    files.create(str(tmp_path), "c" * 43)
    path = files.path(str(tmp_path), "c" * 43)
    parts = [b"abc"]

    def read(_size):
        if parts:
            return parts.pop()
        raise OSError("connection reset")

    with files.locked(path) as f:
        assert files.append(f, 0, read, 100) == 3
    assert files.size(path) == 3


def test_orphans_are_files_without_a_row_once_old(tmp_path):
    for name in ("d" * 43, "e" * 43, "f" * 43):
        files.create(str(tmp_path), name)
    os.utime(files.path(str(tmp_path), "d" * 43), (0, 0))
    os.utime(files.path(str(tmp_path), "e" * 43), (0, 0))
    found = files.orphans(str(tmp_path), {"e" * 43}, 3600, 10_000)
    assert found == [files.path(str(tmp_path), "d" * 43)]
    assert files.orphans(str(tmp_path / "none"), set(), 0, 0) == []
