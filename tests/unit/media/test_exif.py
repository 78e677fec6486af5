"""Where and when a photo says it was taken (media/exif.py): real JPEGs written by Pillow as phones write
them, and hostile values (NaN, missing hemispheres, huge rationals, zero denominators, wrong types) that
must give "unknown", never an error or a place off the Earth."""
import io
import math
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, TiffImagePlugin

from portal.media.exif import (
    GPS_IFD,
    Capture,
    exif_time,
    gps_position,
    read_capture,
    xmp_position,
)
from tests.images import jpeg_at, jpeg_with_gps, png

R = TiffImagePlugin.IFDRational


def test_a_phone_photo_gives_its_place_and_time_in_utc():
    capture = read_capture(io.BytesIO(jpeg_at(30.6079, 100.5, "2026:12:01 10:00:00")))
    assert math.isclose(capture.lat, 30.6079, abs_tol=1e-5) and math.isclose(capture.lon, 100.5, abs_tol=1e-5)
    assert capture.at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # +08:00 in the file


def test_south_and_west_are_negative():
    capture = read_capture(io.BytesIO(jpeg_at(-33.86, -151.2)))
    assert (round(capture.lat, 4), round(capture.lon, 4)) == (-33.86, -151.2)
    assert capture.at is None


def test_the_shared_gps_sample_reads_as_beijing():
    capture = read_capture(io.BytesIO(jpeg_with_gps()))
    assert (round(capture.lat, 4), round(capture.lon, 4)) == (39.9, 116.3833)


def test_a_photo_without_exif_or_not_a_photo_says_nothing():
    assert read_capture(io.BytesIO(png())) == Capture()
    assert read_capture(io.BytesIO(b"not an image at all")) == Capture()
    assert not Capture().has_position


def test_a_missing_hemisphere_means_no_place():
    assert gps_position({2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}) is None
    assert gps_position({1: "X", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}) is None


def test_zero_denominators_nan_and_huge_rationals_mean_no_place():
    east = {3: "E", 4: (R(116, 1), R(0, 1), R(0, 1))}
    assert gps_position({1: "N", 2: (R(39, 0), R(0, 1), R(0, 1)), **east}) is None
    assert gps_position({1: "N", 2: (float("nan"), 0.0, 0.0), **east}) is None
    assert gps_position({1: "N", 2: (R(2**32 - 1, 1), R(0, 1), R(0, 1)), **east}) is None
    assert gps_position({1: "N", 2: ((10**400, 1), 0, 0), **east}) is None
    assert gps_position({1: "N", 2: (39.0, 75.0, 0.0), **east}) is None  # 75 minutes
    assert gps_position({1: "N", 2: (-39.0, 0.0, 0.0), **east}) is None  # the sign is the reference's
    assert gps_position({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}) is None  # no fix
    assert gps_position({1: b"N\x00", 2: ((39, 1), (30, 1), (0, 1)), **east}) == (39.5, 116.0)


def test_capture_time_odd_values():
    assert exif_time({0x9003: "1970:01:01 00:00:00"}) is None  # a camera with an unset clock
    assert exif_time({0x9003: "2026:02:30 10:00:00"}) is None
    assert exif_time({0x9003: 12345}) is None
    assert exif_time({0x9003: "2026:12:01 10:00:00", 0x9011: "+99:99"}) is None
    assert exif_time({0x9004: "2026:12:01 10:00:00\x00"}) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_xmp_gives_the_place_when_exif_has_none():
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="30,36.474N" '
           b'exif:GPSLongitude="100,30.0E"/></rdf:RDF></x:xmpmeta>')
    assert xmp_position(xmp) == (30.6079, 100.5)
    assert xmp_position(b"<exif:GPSLatitude>91,0N</exif:GPSLatitude><exif:GPSLongitude>1,0E</exif:GPSLongitude>") \
        is None
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", xmp=xmp)
    capture = read_capture(out)
    assert (round(capture.lat, 4), capture.lon) == (30.6079, 100.5)


hostile = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.binary(max_size=8),
    st.builds(R, st.integers(min_value=-(2**33), max_value=2**33), st.integers(min_value=-3, max_value=2**33)),
    st.tuples(st.integers(min_value=-(2**40), max_value=2**40), st.integers(min_value=-2, max_value=2**40)),
)
coordinate = st.one_of(hostile, st.lists(hostile, max_size=4).map(tuple))
reference = st.one_of(hostile, st.sampled_from(["N", "S", "E", "W", "n", b"S\x00", "", "NE"]))
gps_block = st.fixed_dictionaries({}, optional={1: reference, 2: coordinate, 3: reference, 4: coordinate,
                                                99: hostile})


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gps_block)
def test_any_gps_block_gives_a_place_on_earth_or_none(gps):
    position = gps_position(gps)
    if position is not None:
        lat, lon = position
        assert math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={0x9003: st.one_of(hostile, st.text(max_size=30)),
                                           0x9004: hostile, 0x9011: st.one_of(hostile, st.text(max_size=8))}))
def test_any_exif_time_gives_a_utc_time_or_none(values):
    when = exif_time(values)
    assert when is None or (when.tzinfo is not None and when.year >= 1990)


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), st.sampled_from(["N", "S", "Q", ""]),
       st.integers(0, 2**32 - 1))
def test_hostile_rationals_written_into_a_real_jpeg_never_break_reading(rational, ref, other):
    exif = Image.Exif()
    exif[GPS_IFD] = {1: ref, 2: (R(*rational), R(other, 1), R(0, 1)), 3: "E", 4: (R(other, 7), R(1, 1), R(1, 1))}
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    capture = read_capture(out)
    assert capture.lat is None or -90 <= capture.lat <= 90
    assert capture.lon is None or -180 <= capture.lon <= 180
