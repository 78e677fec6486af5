"""Photos uploaded by the public: checked from their bytes, kept unchanged as evidence, with public
copies re-encoded without metadata.

WebOb has already spooled each upload to a temporary file, so nothing here holds a whole file in
memory: the original is copied to the media store in chunks and Pillow reads it from disk. A refused
upload stores nothing; files written for a request whose transaction then fails are removed again."""
import os
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.media.exif import read_capture
from portal.media.images import derive_public_copies
from portal.media.models import Media, seal_original_name
from portal.media.refusals import MAX_PHOTO_BYTES, UploadRefused  # noqa: F401 -- also imported from here
from portal.media.resumable.claim import resumable_files

# Decoding more pixels than this could take gigabytes of memory (an "image bomb").
MAX_PHOTO_PIXELS = 40_000_000
DECODE_CHECK_SIDE = 512
# What the bytes must turn out to be, whatever the file's name or the browser says.
# Pillow's format name -> (type, suffix); "HEIF" is pillow-heif's (registered in media/images.py).
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp"),
                 "GIF": ("image/gif", ".gif"), "HEIF": ("image/heic", ".heic")}


@dataclass(frozen=True)
class UploadLimits:
    max_count: int
    max_bytes: int = MAX_PHOTO_BYTES
    max_pixels: int = MAX_PHOTO_PIXELS


def chosen_files(request, name: str) -> list:
    """The file fields a form sent under `name`, leaving out the empty one a browser sends when
    nothing was chosen, then the finished resumable uploads it names (media/resumable/claim.py)."""

    sent = [f for f in request.POST.getall(name) if getattr(f, "file", None) is not None and f.filename]
    return sent + resumable_files(request, name)


def claim(field) -> None:
    """A resumable upload is taken by the transaction storing it (kept for a retry if that aborts)."""
    if hasattr(field, "claim"):
        field.claim()


def _size(field) -> int:
    field.file.seek(0, os.SEEK_END)
    size = field.file.tell()
    field.file.seek(0)
    return size


def _check_image(field, limits: UploadLimits) -> tuple[str, str]:
    """Sniff and check one file; return (content type, suffix) or raise UploadRefused."""
    name = field.filename
    size = _size(field)
    if size == 0:
        raise UploadRefused(_("The file ${name} is empty.", mapping={"name": name}))
    if size > limits.max_bytes:
        raise UploadRefused(_("The file ${name} is larger than ${mb} MB.",
                              mapping={"name": name, "mb": limits.max_bytes // (1024 * 1024)}))
    try:
        with Image.open(field.file) as image:  # reads the header only
            kind = image.format
            width, height = image.size
            if kind not in IMAGE_FORMATS:
                raise UploadRefused(_("The file ${name} is not a photo (JPEG, PNG, WebP or GIF).",
                                      mapping={"name": name}))
            if width * height > limits.max_pixels:
                raise UploadRefused(_("The photo ${name} has too many pixels.", mapping={"name": name}))
            image.verify()  # walks PNG data: catches truncated and corrupt files
        # verify() does nothing for JPEG, WebP or GIF: decode too (JPEG at an eighth of its size,
        # which is cheap), so a truncated or corrupt photo is refused here, before anything is stored.
        field.file.seek(0)
        with Image.open(field.file) as image:
            image.draft("RGB", (DECODE_CHECK_SIDE, DECODE_CHECK_SIDE))
            image.load()
    except UploadRefused:
        raise
    except Image.DecompressionBombError:  # Pillow's own bound, far above ours: a header claiming billions
        raise UploadRefused(_("The photo ${name} has too many pixels.", mapping={"name": name})) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(_("The file ${name} is not a photo we can read (JPEG, PNG, WebP or GIF).",
                              mapping={"name": name})) from None
    finally:
        field.file.seek(0)
    return IMAGE_FORMATS[kind]


def check_photos(fields, limits: UploadLimits) -> list[tuple]:
    """Check every file before any is stored, so one bad file refuses the whole submission."""
    if len(fields) > limits.max_count:
        raise UploadRefused(_("At most ${n} photos can be sent.", mapping={"n": limits.max_count}))
    return [(field, *_check_image(field, limits)) for field in fields]


def store_photos(request, checked: list[tuple]) -> list[Media]:
    """Store checked files and their public copies; return unsaved Media rows in the given order."""
    store = request.registry["media_store"]
    written = []
    _remove_on_abort(request, store, written)
    rows = []
    for position, (field, content_type, suffix) in enumerate(checked):
        try:
            claim(field)
            capture = read_capture(field.file)
            key, sha, size = store.put_stream(field.file, suffix, written)
            copies = derive_public_copies(store, key, written)
        except (OSError, Image.DecompressionBombError) as exc:
            raise UploadRefused(_("The photo ${name} could not be stored. Please try again.",
                                  mapping={"name": field.filename})) from exc
        rows.append(Media(kind="image", position=position, sha256=sha, size=size, content_type=content_type,
                          original_name_sealed=seal_original_name(request, os.path.basename(field.filename)),
                          original_key=key,
                          uploaded_at=utcnow(), captured_at=capture.at, captured_lat=capture.lat,
                          captured_lon=capture.lon, **copies))
    return rows


def _remove_on_abort(request, store, written: list) -> None:
    """Delete the files of this request if its transaction does not commit."""
    tm = getattr(request, "tm", None)
    if tm is None:
        return

    def delete(keys):
        for key in keys:
            store.delete(key)

    txn = tm.get()
    txn.addAfterCommitHook(lambda committed, keys: None if committed else delete(keys), args=(written,))
    txn.addAfterAbortHook(delete, args=(written,))
