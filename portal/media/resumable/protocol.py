"""The tus 1.0 headers, parsed strictly (https://tus.io/protocols/resumable-upload): anything else
is a 400, never an exception. Pure functions, no request: what the unit tests and Hypothesis probe."""
import base64
import binascii
import hashlib
import re
from datetime import datetime
from email.utils import format_datetime

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration,checksum"
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
OFFSET_STREAM = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460  # tus' own status: the chunk's bytes are not what its checksum says

_NUMBER = re.compile(r"[0-9]{1,18}")  # below 2**63: what a BigInteger column holds
_KEY = re.compile(r"[!-+\--~]{1,64}")  # printable ASCII without space or comma
MAX_METADATA_BYTES = 4096
MAX_VALUE_BYTES = 1024


class HeaderError(ValueError):
    """A header that is missing or not what the protocol says."""


class UnsupportedChecksum(HeaderError):
    """A checksum algorithm we do not offer (400, as the spec says)."""


def number(value: str | None) -> int:
    """Upload-Length and Upload-Offset: a non-negative decimal integer, nothing else."""
    if value is None or not _NUMBER.fullmatch(value):
        raise HeaderError("not a non-negative integer")
    return int(value)


def metadata(value: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (the value may be left out); keys
    unique; values UTF-8. Bounded, since it arrives before any limit is known."""
    if not value:
        return {}
    if len(value) > MAX_METADATA_BYTES:
        raise HeaderError("metadata too long")
    pairs = {}
    for item in value.split(","):
        parts = item.strip().split(" ")
        if len(parts) > 2 or not _KEY.fullmatch(parts[0]) or parts[0] in pairs:
            raise HeaderError("bad metadata key")
        raw = b""
        if len(parts) == 2:
            try:
                raw = base64.b64decode(parts[1], validate=True)
            except (binascii.Error, ValueError):
                raise HeaderError("bad metadata value") from None
        if len(raw) > MAX_VALUE_BYTES:
            raise HeaderError("metadata value too long")
        try:
            pairs[parts[0]] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise HeaderError("metadata value not UTF-8") from None
    return pairs


def checksum(value: str | None):
    """Upload-Checksum: `<algorithm> <base64 digest>`; returns (a new hash object, the digest) or None."""
    if value is None:
        return None
    name, _sep, encoded = value.strip().partition(" ")
    if name not in CHECKSUM_ALGORITHMS:
        raise UnsupportedChecksum("unsupported checksum algorithm")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HeaderError("bad checksum") from None
    hasher = CHECKSUM_ALGORITHMS[name]()
    if len(digest) != hasher.digest_size:
        raise HeaderError("bad checksum length")
    return hasher, digest


def http_date(when: datetime) -> str:
    """Upload-Expires: an RFC 9110 date."""
    return format_datetime(when, usegmt=True)
