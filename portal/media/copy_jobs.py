"""The worker's job that makes staff copies (media/transcode.py) of pending video and sound recordings.

Copies are taken one at a time with a row lock that other workers skip (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite has one writer anyway), so several workers never make the same copy. A failed attempt
is tried again later (after 2, 4, 8... minutes) up to `portal.transcode.max_attempts`; then the copy is
failed with its reason and the staff page offers the original instead of "preparing" for ever.

A copy can take minutes: the job stops taking new ones once `portal.transcode.round_seconds` have
passed, and a deployment runs it in a worker of its own (`portal-worker --only media-staff-copies`, the
other worker `--skip` it: README, "Staff copies") so alarms' jobs never wait behind a video."""
import logging
import time
from datetime import timedelta

from sqlalchemy import or_, select

from portal.core.meta import utcnow
from portal.media import ffmpeg, transcode
from portal.media.models import MediaCopy
from portal.media.uploads import _remove_on_abort

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=2)


def request_copy(media) -> MediaCopy | None:
    """A pending staff copy for a new video or sound recording (nothing for photos); it is saved
    with the medium."""
    if media.kind not in ("video", "audio"):
        return None
    media.staff_copy = MediaCopy(state="pending", attempts=0, failure="")
    return media.staff_copy


def _next_due(dbsession, now) -> MediaCopy | None:
    query = (select(MediaCopy).where(MediaCopy.state == "pending",
                                     or_(MediaCopy.next_try_at.is_(None), MediaCopy.next_try_at <= now))
             .order_by(MediaCopy.id).limit(1).with_for_update(skip_locked=True))
    return dbsession.execute(query).scalars().first()


def make_one(request, copy: MediaCopy, limits: ffmpeg.Limits, now=None) -> bool:
    """One attempt at `copy`; True when it is ready. A failure is recorded on the row, never raised
    (except ffmpeg missing: nothing is counted, the copy waits for an installation)."""
    settings = request.registry.settings
    store = request.registry["media_store"]
    written: list = []
    _remove_on_abort(request, store, written)
    now = now or utcnow()
    copy.attempts += 1
    try:
        made = transcode.make_staff_copy(store, copy.media, limits, written, settings)
    except ffmpeg.ToolMissing:
        copy.attempts -= 1
        raise
    except (ffmpeg.ToolFailed, transcode.CannotTranscode, OSError) as exc:
        reason = getattr(exc, "reason", None) or (str(exc) if isinstance(exc, ValueError) else type(exc).__name__)
        copy.failure = reason[:255]
        if copy.attempts >= int(float(settings["portal.transcode.max_attempts"])):
            copy.state, copy.finished_at = "failed", now
            log.warning("staff copy of media %s failed for good after %s attempts: %s", copy.media_id,
                        copy.attempts, reason)
        else:
            copy.next_try_at = now + FIRST_RETRY * 2 ** (copy.attempts - 1)
            log.info("staff copy of media %s failed (attempt %s): %s", copy.media_id, copy.attempts, reason)
        return False
    copy.state, copy.finished_at, copy.failure = "ready", now, ""
    copy.copy_key, copy.content_type, copy.poster_key = made.copy_key, made.content_type, made.poster_key
    copy.duration_ms, copy.width, copy.height = made.duration_ms, made.width, made.height
    return True


def prepare_staff_copies(request, now=None) -> int:
    """Make pending staff copies until none is due or the round's time is up; return how many were
    attempted."""
    settings = request.registry.settings
    limits = ffmpeg.Limits.from_settings(settings)
    budget = float(settings["portal.transcode.round_seconds"])
    started, attempted, dbsession = time.monotonic(), 0, request.dbsession
    while time.monotonic() - started < budget:
        copy = _next_due(dbsession, now or utcnow())
        if copy is None:
            break
        try:
            make_one(request, copy, limits, now)
        except ffmpeg.ToolMissing as missing:
            log.error("staff copies wait: %s", missing)
            break
        dbsession.flush()
        attempted += 1
    return attempted
