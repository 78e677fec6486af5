"""The tus headers parsed strictly (media/resumable/protocol.py): whatever arrives is a value or a
HeaderError, never another exception."""
import base64
import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.media.resumable import protocol


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize("value,expected", [("0", 0), ("42", 42), ("000", 0), ("9" * 18, 10**18 - 1)])
def test_numbers(value, expected):
    assert protocol.number(value) == expected


@pytest.mark.parametrize("value", [None, "", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "9" * 19, "١٢"])
def test_not_numbers(value):
    with pytest.raises(protocol.HeaderError):
        protocol.number(value)


@given(st.text())
def test_any_text_is_a_number_or_refused(value):
    try:
        assert 0 <= protocol.number(value) < 2**63
    except protocol.HeaderError:
        pass


def test_metadata_pairs():
    header = f"filename {b64('张三 的视频.mp4'.encode())},purpose {b64(b'tip')},is_confidential"
    assert protocol.metadata(header) == {"filename": "张三 的视频.mp4", "purpose": "tip", "is_confidential": ""}
    assert protocol.metadata(None) == {} and protocol.metadata("") == {}


@pytest.mark.parametrize("header", [
    "filename !!!", f"a {b64(b'x')},a {b64(b'y')}", f"key {b64(b'x')} extra", f"k,y {b64(b'x')}, ",
    f"key {b64(bytes([0xff, 0xfe]))}", f"k {b64(bytes(2000))}", "k " + "A" * 5000, ",", "k\u00e9 eA==",
])
def test_bad_metadata(header):
    with pytest.raises(protocol.HeaderError):
        protocol.metadata(header)


@given(st.text(max_size=300))
def test_any_metadata_is_parsed_or_refused(header):
    try:
        pairs = protocol.metadata(header)
    except protocol.HeaderError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) and " " not in k for k, v in pairs.items())


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,20}", fullmatch=True), st.text(max_size=100), max_size=5))
def test_metadata_round_trip(pairs):
    header = ",".join(f"{k} {b64(v.encode('utf-8'))}" for k, v in pairs.items())
    assert protocol.metadata(header) == pairs


def test_checksums():
    data = b"chunk of a video"
    hasher, digest = protocol.checksum("sha1 " + b64(hashlib.sha1(data).digest()))  # noqa: S324
    hasher.update(data)
    assert hasher.digest() == digest
    assert protocol.checksum(None) is None
    with pytest.raises(protocol.UnsupportedChecksum):
        protocol.checksum("crc32 " + b64(b"1234"))
    for bad in ("sha1", "sha1 !!!", "sha1 " + b64(b"short")):
        with pytest.raises(protocol.HeaderError):
            protocol.checksum(bad)


@given(st.text(max_size=200))
def test_any_checksum_header_is_parsed_or_refused(header):
    try:
        protocol.checksum(header)
    except protocol.HeaderError:
        pass


def test_expiry_is_an_http_date():
    assert protocol.http_date(datetime(2026, 12, 6, 7, 0, tzinfo=UTC)) == "Sun, 06 Dec 2026 07:00:00 GMT"
