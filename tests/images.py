"""Test images made in memory with Pillow: phone photos with GPS, broken and malicious files."""
import io
import struct
import zlib

from PIL import Image

GPS_MARKER = b"SpyCam-4711"  # the camera make written into the EXIF block


def jpeg_with_gps(size=(64, 48), colour=(20, 120, 200)) -> bytes:
    """A real JPEG carrying EXIF with a camera make and a GPS position, as phones write them."""
    exif = Image.Exif()
    exif[0x010F] = GPS_MARKER.decode()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


def jpeg_at(lat: float, lon: float, taken: str | None = None, size=(64, 48), xmp: bytes | None = None) -> bytes:
    """A JPEG whose EXIF says it was taken at (lat, lon) (degrees, minutes, seconds with N/S and E/W) and,
    given "YYYY:MM:DD HH:MM:SS", when."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))}
    if taken is not None:
        exif[0x8769] = {0x9003: taken, 0x9011: "+08:00"}
    out = io.BytesIO()
    extra = {"xmp": xmp} if xmp is not None else {}
    Image.new("RGB", size, (90, 90, 20)).save(out, "JPEG", exif=exif, **extra)
    return out.getvalue()


def _dms(value: float) -> tuple:
    hundredths = round(value * 360000)  # of a second
    degrees, rest = divmod(hundredths, 360000)
    minutes, rest = divmod(rest, 6000)
    return (float(degrees), float(minutes), rest / 100)


def heic_with_gps(size=(64, 48), colour=(20, 120, 200)) -> bytes:
    """A real HEIC (HEVC in HEIF, as iPhones write photos) made by pillow-heif, with the same EXIF."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = GPS_MARKER.decode()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "HEIF", exif=exif, quality=80)
    return out.getvalue()


def png(size=(8, 8), colour=(10, 200, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (an "image bomb"): its IHDR is rewritten, with
    a correct checksum, so only the declared pixel count gives it away."""
    data = bytearray(png((1, 1)))
    # Signature (8) + IHDR length (4) + b"IHDR" (4): width and height follow.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


def truncated_jpeg() -> bytes:
    """A JPEG cut off in its picture data (a broken transfer): the header alone looks fine."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()[: out.tell() * 3 // 5]
