"""Creating, appending to, asking about and deleting resumable uploads; the worker's expiry.

Limits apply as early as the protocol allows: at creation from the declared length (the purpose's
largest file, the files and bytes waiting for the session, the hourly creations per address); at the
chunk that completes the first bytes (media/sniff.HEAD_BYTES) from what they are (a kind the purpose
does not take, a file over its kind's limit). A refused upload is deleted at once, so a wrong file
costs the reporter at most one chunk."""
import hashlib
import secrets
import time
from datetime import timedelta

from pyramid.csrf import get_csrf_token
from sqlalchemy import delete, func, select

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.media import sniff
from portal.media.models import MAX_NAME_CHARS, ORIGINAL_NAME_LABEL
from portal.media.resumable import files, protocol
from portal.media.resumable.models import Upload
from portal.media.resumable.purposes import Purpose, purposes

MB = 1024 * 1024
EXPIRE_SETTING = "portal.upload.resumable_expire_hours"
CHUNK_SETTING = "portal.upload.resumable_chunk_mb"
ORPHAN_SECONDS = 3600


class TusRefused(Exception):
    """An answer other than success: its status, a translated reason for the person (or None) and headers."""

    def __init__(self, status: int, message=None, **headers):
        super().__init__(status)
        self.status = status
        self.message = message
        self.headers = headers


def _bad_request():
    return TusRefused(400, _("The upload could not be read. Please choose the file again."))


def too_large(name: str, max_bytes: int) -> TusRefused:
    return TusRefused(413, _("The file ${name} is larger than ${mb} MB.",
                             mapping={"name": name, "mb": max_bytes // MB}))


def gone() -> TusRefused:
    return TusRefused(404, _("This upload is no longer available (it expired or was deleted). Please choose the "
                             "file again."))


def owner_hash(request) -> str:
    """Whose page it is: the session's CSRF token (which every request of the upload also carries)."""
    return hashlib.sha256(get_csrf_token(request).encode("utf-8")).hexdigest()


def media_dir(request) -> str:
    return request.registry.settings["portal.media_dir"]


def expires(request):
    return utcnow() + timedelta(hours=float(request.registry.settings[EXPIRE_SETTING]))


def chunk_bytes(settings) -> int:
    """The browser's chunk, and the largest PATCH body taken (core/headers.py UPLOAD_PATHS)."""
    return int(float(settings[CHUNK_SETTING]) * MB)


def file_name(request, upload: Upload) -> str:
    if not upload.filename_sealed:
        return ""
    return request.registry["field_cipher"].decrypt(upload.filename_sealed, ORIGINAL_NAME_LABEL)


def upload_files(request):
    """Where the uploads' bytes are: the media bucket when the store is one (any server takes any chunk),
    else `<media_dir>/.resumable` on this machine's disk."""
    store = request.registry["media_store"]
    if getattr(store, "bucket", None) is not None:
        from portal.media.resumable.bucket import BucketUploadFiles  # boto3 only for the bucket

        return BucketUploadFiles(store)
    return files.LocalUploadFiles(media_dir(request))


# Creation -----------------------------------------------------------------------------------------

def create(request, length_header: str | None, metadata_header: str | None) -> Upload:
    try:
        length = protocol.number(length_header)
        meta = protocol.metadata(metadata_header)
    except protocol.HeaderError:
        raise _bad_request() from None
    purpose = purposes(request.registry).get(meta.get("purpose", ""))
    name = "".join(c for c in meta.get("filename", "") if c.isprintable())[:MAX_NAME_CHARS]
    if purpose is None:
        raise _bad_request()
    try:  # counted before anything else: a refused creation costs as much as an accepted one
        count_per_hour(request, purpose.rate_key, purpose.rate_setting)
    except RateLimited as exc:
        minutes = max(1, (exc.retry_after + 59) // 60)
        raise TusRefused(429, _("Many files have been sent from this address. Please wait ${minutes} minutes and "
                                "try again, or call the police.", mapping={"minutes": minutes}),
                         **{"Retry-After": str(exc.retry_after)}) from None
    if length == 0:
        raise TusRefused(400, _("The file ${name} is empty.", mapping={"name": name}))
    if length > purpose.largest_file:
        raise too_large(name, purpose.largest_file)
    _check_waiting(request, purpose, length)
    upload = Upload(id=secrets.token_urlsafe(32), owner_hash=owner_hash(request), purpose=purpose.name,
                    length=length, offset=0, created_at=utcnow(), expires_at=expires(request),
                    filename_sealed=(request.registry["field_cipher"].encrypt(name, ORIGINAL_NAME_LABEL)
                                     if name else None))
    upload_files(request).create(upload.id)
    request.dbsession.add(upload)
    request.dbsession.flush()
    return upload


def _check_waiting(request, purpose: Purpose, length: int) -> None:
    count, total = request.dbsession.execute(
        select(func.count(Upload.id), func.coalesce(func.sum(Upload.length), 0))
        .where(Upload.owner_hash == owner_hash(request), Upload.purpose == purpose.name)
    ).one()
    if count >= purpose.max_waiting:
        raise TusRefused(400, _("At most ${n} files can be sent at once.", mapping={"n": purpose.max_files}))
    if total + length > purpose.max_waiting_bytes:
        raise TusRefused(413, _("All files together must be smaller than ${mb} MB.",
                                mapping={"mb": purpose.max_total_bytes // MB}))


# The other requests -------------------------------------------------------------------------------

def owned(request, upload_id: str) -> Upload:
    """The session's own upload, still valid; another's, an unknown or an expired one is "gone"."""
    upload = request.dbsession.get(Upload, upload_id)
    if upload is None or not secrets.compare_digest(upload.owner_hash, owner_hash(request)):
        raise gone()
    if upload.expires_at <= utcnow() or upload_files(request).size(upload.id) is None:
        discard(request, upload)
        raise gone()
    return upload


def offset(request, upload: Upload) -> int:
    return upload_files(request).size(upload.id) or 0


def discard(request, upload: Upload) -> None:
    request.dbsession.delete(upload)
    request.dbsession.flush()
    upload_files(request).remove(upload.id)


def append(request, upload: Upload, offset_header: str | None, checksum_header: str | None) -> int:
    """Write one PATCH body at the offset the client says (which must be where the upload stands);
    return the new offset."""
    if request.content_type != protocol.OFFSET_STREAM:
        raise TusRefused(415)
    try:
        start = protocol.number(offset_header)
        check = protocol.checksum(checksum_header)
    except protocol.HeaderError:
        raise _bad_request() from None
    stored = upload_files(request)
    try:
        with stored.writing(upload.id) as writer:
            current = writer.current
            if start != current:
                raise TusRefused(409, **{"Upload-Offset": str(current)})
            most = upload.length - current
            if request.content_length is not None and request.content_length > most:
                raise TusRefused(413)
            written = writer.write(request.body_file_raw.read, most, check[0] if check else None)
            if check and check[0].digest() != check[1]:
                writer.undo()
                raise TusRefused(protocol.CHECKSUM_MISMATCH)
    except files.Busy:
        raise TusRefused(409, **{"Upload-Offset": str(stored.size(upload.id))}) from None
    new = current + written
    if upload.kind is None and new >= min(sniff.HEAD_BYTES, upload.length):
        _learn_kind(request, upload, stored)
    upload.offset = new
    upload.expires_at = expires(request)  # a slow upload lives as long as it keeps moving
    if new == upload.length:
        upload.sha256 = stored.sha256(upload.id)
        upload.completed_at = utcnow()
    request.dbsession.flush()
    return new


def _learn_kind(request, upload: Upload, stored) -> None:
    """The first bytes tell the kind: refuse a file the purpose does not take or too large for its kind."""
    purpose = purposes(request.registry).get(upload.purpose)
    head = stored.head(upload.id, sniff.HEAD_BYTES)
    fmt = sniff.identify_head(head)
    name = file_name(request, upload)
    refusal = None
    if fmt is None:
        refusal = TusRefused(415, sniff.refusal(head, name).message)
    elif purpose is None or fmt.kind not in purpose.max_bytes:
        refusal = TusRefused(415, _("The file ${name} is not a photo (JPEG, PNG, WebP or GIF).",
                                    mapping={"name": name}))
    elif upload.length > purpose.max_bytes[fmt.kind]:
        refusal = too_large(name, purpose.max_bytes[fmt.kind])
    if refusal is not None:
        discard(request, upload)
        raise refusal
    upload.kind, upload.content_type = fmt.kind, fmt.content_type


# The worker ---------------------------------------------------------------------------------------

def expire_due(request) -> int:
    """Delete expired uploads (finished or not: a form never sent) and files without a row."""
    stored = upload_files(request)
    now = utcnow()
    expired = request.dbsession.scalars(select(Upload.id).where(Upload.expires_at <= now)).all()
    if expired:
        request.dbsession.execute(delete(Upload).where(Upload.id.in_(expired)))
    for upload_id in expired:
        stored.remove(upload_id)
    known = set(request.dbsession.scalars(select(Upload.id)).all())
    stray = stored.orphans(known, ORPHAN_SECONDS, time.time())
    for upload_id in stray:
        stored.remove(upload_id)
    return len(expired) + len(stray)
