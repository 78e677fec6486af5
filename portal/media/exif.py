"""Where and when a photo was taken, read from the original's own EXIF (and XMP when the EXIF has no
position): the capture time and the GPS position. Both are for the police only (the public copies are
re-encoded without them) and both come from a hostile file: every value is checked (finite, within the
world's bounds, a sane time) and anything odd gives "unknown", never an error."""
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from PIL import Image

from portal.core.localtime import LOCAL_TZ

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME_DIGITIZED, OFFSET_TIME_ORIGINAL = 0x9003, 0x9004, 0x9011
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)  # cameras with an unset clock say 1970 or 2000-01-01
MAX_XMP_BYTES = 256 * 1024  # a position in XMP is looked for in this much of it, no more
_XMP_COORDINATE = re.compile(rb"exif:GPS(Latitude|Longitude)(?:=\"|>)\s*([0-9]{1,3}),([0-9.]{1,12})(?:,([0-9.]{1,12}))?"
                             rb"([NSEW])")


@dataclass(frozen=True)
class Capture:
    at: datetime | None = None  # UTC
    lat: float | None = None
    lon: float | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


def _number(value) -> float | None:
    """One EXIF number (an IFDRational, an int, a float, a (numerator, denominator) pair) as a finite
    float; None for anything else (a zero denominator, NaN, a string, a huge value)."""
    try:
        if isinstance(value, tuple) and len(value) == 2:
            value = Fraction(int(value[0]), int(value[1]))
        if isinstance(value, bool) or isinstance(value, str | bytes):
            return None
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
        return None
    return number if math.isfinite(number) else None


def _degrees(parts, ref, positive: str, negative: str, limit: float) -> float | None:
    """Degrees, minutes, seconds with their hemisphere (N/S, E/W) as signed degrees within +-limit."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str) or ref.strip("\0 ").upper() not in (positive, negative):
        return None  # no hemisphere: the sign is unknown, so is the place
    if not isinstance(parts, tuple | list) or not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in numbers):
        return None
    numbers += [0.0] * (3 - len(numbers))
    degrees, minutes, seconds = numbers
    if minutes > 60 or seconds > 60:  # 60 itself: a camera's rounding
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if value > limit:
        return None
    return -value if ref.strip("\0 ").upper() == negative else value


def gps_position(gps: dict) -> tuple[float, float] | None:
    """(lat, lon) from an EXIF GPS IFD; None when either is missing or not a place on Earth."""
    if not isinstance(gps, dict):
        return None
    lat = _degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), "N", "S", 90.0)
    lon = _degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), "E", "W", 180.0)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0,0: a receiver without a fix writes it
        return None
    return lat, lon


def exif_time(exif_ifd: dict) -> datetime | None:
    """DateTimeOriginal (or Digitized) in UTC; local China time when the file gives no offset."""
    if not isinstance(exif_ifd, dict):
        return None
    text = exif_ifd.get(DATETIME_ORIGINAL) or exif_ifd.get(DATETIME_DIGITIZED)
    if not isinstance(text, str):
        return None
    text = text.strip("\0 ")[:19]
    try:
        when = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
        offset = exif_ifd.get(OFFSET_TIME_ORIGINAL)
        if isinstance(offset, str) and len(offset.strip("\0 ")) == 6:
            when = datetime.strptime(text + offset.strip("\0 "), "%Y:%m:%d %H:%M:%S%z")
        else:
            when = when.replace(tzinfo=LOCAL_TZ)
        when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return when if when >= EARLIEST_CAPTURE else None


def xmp_position(xmp: bytes) -> tuple[float, float] | None:
    """exif:GPSLatitude / exif:GPSLongitude of XMP ("51,30.5N" or "51,30,30N"), as attribute or element."""
    if not isinstance(xmp, bytes | bytearray):
        return None
    found = {}
    for name, degrees, minutes, seconds, ref in _XMP_COORDINATE.findall(bytes(xmp[:MAX_XMP_BYTES])):
        parts = (int(degrees), _number_text(minutes), _number_text(seconds) if seconds else 0.0)
        if None in parts:
            continue
        if name == b"Latitude":
            found.setdefault("lat", _degrees(parts, ref.decode(), "N", "S", 90.0))
        else:
            found.setdefault("lon", _degrees(parts, ref.decode(), "E", "W", 180.0))
    lat, lon = found.get("lat"), found.get("lon")
    return (lat, lon) if lat is not None and lon is not None and (lat, lon) != (0, 0) else None


def _number_text(text: bytes) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def image_capture(image: Image.Image) -> Capture:
    """The capture time and position of an opened image; Capture() when it says nothing usable."""
    at = position = None
    try:
        exif = image.getexif()
        at = exif_time(dict(exif.get_ifd(EXIF_IFD)))
        position = gps_position(dict(exif.get_ifd(GPS_IFD)))
    except (ValueError, TypeError, OSError, SyntaxError, KeyError, IndexError, ZeroDivisionError, OverflowError):
        pass
    xmp = image.info.get("xmp")
    if position is None and isinstance(xmp, bytes):
        position = xmp_position(xmp)
    return Capture(at=at, lat=position[0] if position else None, lon=position[1] if position else None)


def read_capture(f) -> Capture:
    """The capture of a photo file object (rewound afterwards); Capture() for anything unreadable."""
    f.seek(0)
    try:
        with Image.open(f) as image:
            return image_capture(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return Capture()
    finally:
        f.seek(0)
