"""Files sent with a tip or a /status reply: photos, video and sound recordings.

Every file is checked from its bytes before any is stored, so one bad file refuses the whole
submission. The original is kept unchanged as evidence; staff look at copies without metadata:
photos re-encoded (with a thumbnail), MP4/MOV/3GP/M4A with their metadata boxes blanked and dates zeroed, MP3, AAC,
WAV, FLAC, Ogg, WebM and Matroska with their tags cut out or overwritten (services/media_clean.py),
AMR as it is (it has no place for metadata). AVI cannot be cleaned that way (there is no decoder in
the request), nor can a file whose structure we cannot walk: they get no such copy (public_key None).
Every video and sound recording also gets a playable copy the worker makes with ffmpeg
(media/copy_jobs.py): the one staff play; if it cannot be made, they fetch the original through an
audited request.

What the reporter's browser says about a file (lastModified, the place) is kept beside it, never
trusted for its type; a photo shot long before it was sent, or whose name disagrees with its bytes,
is flagged for moderators."""
import logging
import math
import os
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image

from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.geo.position import distance_km
from portal.media import clean as media_clean
from portal.media import mp4_clean, sniff, uploads
from portal.media.copy_jobs import request_copy
from portal.media.exif import EARLIEST_CAPTURE, Capture, read_capture
from portal.media.images import derive_public_copies
from portal.media.models import Media, seal_original_name
from portal.media.uploads import MAX_PHOTO_PIXELS, UploadLimits, UploadRefused, _check_image, _remove_on_abort

log = logging.getLogger(__name__)
MB = 1024 * 1024
KINDS = ("image", "video", "audio")


@dataclass(frozen=True)
class AttachmentLimits:
    max_files: int
    max_bytes: dict  # per kind: image, video, audio
    max_total_bytes: int
    old_capture: timedelta
    max_pixels: int = MAX_PHOTO_PIXELS

    @property
    def largest_file(self) -> int:
        return max(self.max_bytes.values())


@dataclass
class CheckedAttachment:
    field: object  # the upload: .filename, .file (binary, seekable)
    name: str
    size: int
    kind: str  # image, video, audio
    content_type: str
    suffix: str
    family: str = ""  # how the bytes are organised (sniff.Format.family): "iso" gets a cleaned copy
    flags: list = field(default_factory=list)  # "old-capture", "type-mismatch" ("far-capture": submission.py)
    captured_at: datetime | None = None  # from the file itself (EXIF, the movie header)
    captured_lat: float | None = None  # from the photo's own EXIF/XMP GPS (police only)
    captured_lon: float | None = None
    client_captured_at: datetime | None = None  # what the browser said (the file's lastModified)
    client_lat: float | None = None
    client_lon: float | None = None


def attachment_limits(settings) -> AttachmentLimits:
    def mb(key):
        return int(float(settings[f"portal.tip.{key}"]) * MB)

    return AttachmentLimits(
        max_files=int(settings["portal.tip.max_files"]),
        max_bytes={"image": mb("max_photo_mb"), "video": mb("max_video_mb"), "audio": mb("max_audio_mb")},
        max_total_bytes=mb("max_total_mb"),
        old_capture=timedelta(hours=float(settings["portal.tip.old_capture_hours"])),
    )


def too_large(name: str, max_bytes: int) -> UploadRefused:
    return UploadRefused(_("The file ${name} is larger than ${mb} MB.", mapping={"name": name, "mb": max_bytes // MB}),
                         status=413)


def too_many(limits: AttachmentLimits) -> UploadRefused:
    return UploadRefused(_("At most ${n} files can be sent at once.", mapping={"n": limits.max_files}))


def too_much(limits: AttachmentLimits) -> UploadRefused:
    return UploadRefused(_("All files together must be smaller than ${mb} MB.",
                           mapping={"mb": limits.max_total_bytes // MB}), status=413)


def _size(f) -> int:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def _own_capture(f, fmt: sniff.Format) -> Capture:
    """When (and for photos where) the file says it was taken: EXIF/XMP, the movie header."""
    if fmt.kind == "image":
        return read_capture(f)
    f.seek(0)
    try:
        if fmt.family == "iso":
            boxes = mp4_clean.top_level(f, _size(f))
            return Capture(at=mp4_clean.creation_time(f, boxes))
    except (OSError, ValueError, SyntaxError, mp4_clean.BrokenBoxes, Image.DecompressionBombError):
        return Capture()
    finally:
        f.seek(0)
    return Capture()


def _number(value, low, high) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if low <= value <= high else None


def _client_entries(client_meta, fields) -> list[dict]:
    """What the browser said about each file, matched by name in order (phones may name every
    photo "image.jpg", so the n-th "image.jpg" gets the n-th entry of that name)."""
    entries = [e for e in client_meta if isinstance(e, dict)] if isinstance(client_meta, list) else []
    used, matched = set(), []
    for f in fields:
        index = next((i for i, e in enumerate(entries) if i not in used and e.get("name") == f.filename), None)
        if index is not None:
            used.add(index)
        matched.append(entries[index] if index is not None else {})
    return matched


def _client_time(entry: dict) -> datetime | None:
    ms = _number(entry.get("lastModified"), EARLIEST_CAPTURE.timestamp() * 1000, 4102444800000)  # up to 2100
    return datetime.fromtimestamp(ms / 1000, UTC) if ms is not None else None


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower()


def _check_one(f, limits: AttachmentLimits, entry: dict, now: datetime) -> CheckedAttachment:
    name = f.filename
    size = _size(f.file)
    if size == 0:
        raise UploadRefused(_("The file ${name} is empty.", mapping={"name": name}))
    fmt = sniff.refine(f.file, sniff.require(f.file, name))
    if size > limits.max_bytes[fmt.kind]:
        raise too_large(name, limits.max_bytes[fmt.kind])
    if fmt.kind == "image":
        # The photo checks the other forms use: pixel limit (bombs), a decode (truncation).
        _check_image(f, UploadLimits(max_count=1, max_bytes=limits.max_bytes["image"],
                                     max_pixels=limits.max_pixels))
    elif not sniff.is_complete(f.file, fmt):
        raise UploadRefused(_("The file ${name} is incomplete or damaged (perhaps the recording or the "
                              "transfer was cut off).", mapping={"name": name}))
    capture = _own_capture(f.file, fmt)
    checked = CheckedAttachment(field=f, name=name, size=size, kind=fmt.kind, content_type=fmt.content_type,
                                suffix=fmt.suffix, family=fmt.family, captured_at=capture.at,
                                captured_lat=capture.lat, captured_lon=capture.lon,
                                client_captured_at=_client_time(entry),
                                client_lat=_number(entry.get("lat"), -90, 90),
                                client_lon=_number(entry.get("lon"), -180, 180))
    if checked.client_lat is None or checked.client_lon is None:
        checked.client_lat = checked.client_lon = None
    extension = _extension(name)
    if extension and extension not in fmt.extensions:
        checked.flags.append("type-mismatch")
    times = [t for t in (checked.captured_at, checked.client_captured_at) if t is not None]
    if any(now - t > limits.old_capture for t in times):
        checked.flags.append("old-capture")
    return checked


def check_attachments(fields, limits: AttachmentLimits, client_meta=None) -> list[CheckedAttachment]:
    """Check every file before any is stored; raise UploadRefused (a translated reason naming the
    file) for the first bad one. `fields` are uploads as `uploads.chosen_files` returns them."""
    fields = list(fields)
    if len(fields) > limits.max_files:
        raise too_many(limits)
    now = utcnow()
    checked = [_check_one(f, limits, entry, now) for f, entry in zip(fields, _client_entries(client_meta, fields),
                                                                   strict=True)]
    if sum(c.size for c in checked) > limits.max_total_bytes:
        raise too_much(limits)
    return checked


def capture_distance_km(tip, media: Media) -> float | None:
    """How far from the tip's stated place the photo's own GPS says it was taken; None when either
    place is unknown."""
    if tip.lat is None or tip.lon is None or media.captured_lat is None or media.captured_lon is None:
        return None
    return distance_km(tip.lat, tip.lon, media.captured_lat, media.captured_lon)


def plain_name(name: str) -> str:
    """The file's own name as sent, without a path (some browsers send C:\\fakepath\\...) or control
    characters (PostgreSQL refuses NUL in text)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:255]


def _put_original(store, checked: CheckedAttachment, written: list) -> tuple[str, str, int]:
    """The original into the store: moved when it was streamed to a temp file on the store's own
    disk (services/upload_stream.py hashed it on the way), copied otherwise."""
    upload = checked.field
    uploads.claim(upload)
    adopt = getattr(store, "put_file", None)
    path, sha = getattr(upload, "path", None), getattr(upload, "sha256", None)
    if adopt is not None and path and sha and os.path.exists(path):
        try:
            return adopt(path, sha, checked.suffix, written)
        except OSError:  # another disk after all: copy instead
            pass
    upload.file.seek(0)
    return store.put_stream(upload.file, checked.suffix, written)


def _staff_copy(store, checked: CheckedAttachment, key: str, written: list) -> dict:
    if checked.kind == "image":
        return derive_public_copies(store, key, written)
    if checked.content_type in media_clean.AS_IS:
        return {"public_key": key}  # the format has no place for metadata: the original is safe to show
    with store.open(key) as original:
        try:
            reader = _cleaned(original, checked)
        # BrokenBoxes and Unreadable are ValueErrors; the others are what hostile tables may still cause.
        except (ValueError, struct.error, IndexError, MemoryError) as exc:
            log.info("no staff copy of a %s: %s", checked.content_type, type(exc).__name__)
            return {}
        if reader is None:
            return {}  # no safe copy without a decoder: staff see a typed icon (static/img/media-*.svg)
        public_key, _sha, _size_ = store.put_stream(reader, checked.suffix, written)
    return {"public_key": public_key}


def _cleaned(f, checked: CheckedAttachment):
    """A reader of the copy without metadata; None when the format cannot be cleaned without a decoder."""
    size = _size(f)
    if checked.family == "iso":
        boxes, samples = mp4_clean.metadata_boxes(f, size)
        return mp4_clean.blanked_reader(f, boxes, samples)
    return media_clean.cleaned(f, size, checked.content_type)


def store_attachments(request, checked: list[CheckedAttachment]) -> list[tuple[Media, CheckedAttachment]]:
    """Store checked files and their staff copies; return unsaved Media rows with what was checked,
    in the given order. Files written are removed again if the transaction does not commit."""
    store = request.registry["media_store"]
    written = []
    _remove_on_abort(request, store, written)
    uploaded_at = utcnow()
    rows = []
    for position, item in enumerate(checked):
        try:
            key, sha, size = _put_original(store, item, written)
            copies = _staff_copy(store, item, key, written)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            log.warning("storing an attachment failed: %s", type(exc).__name__)
            raise UploadRefused(_("The file ${name} could not be stored. Please try again.",
                                  mapping={"name": item.name})) from exc
        media = Media(kind=item.kind, position=position, sha256=sha, size=size, content_type=item.content_type,
                      original_name_sealed=seal_original_name(request, plain_name(item.name)), original_key=key,
                      uploaded_at=uploaded_at, captured_at=item.captured_at, captured_lat=item.captured_lat,
                      captured_lon=item.captured_lon, **copies)
        request_copy(media)  # the playable copy, made by the worker
        rows.append((media, item))
    return rows
