"""The caller's recording as evidence: what the caller's browser records of its own camera and
microphone (MediaRecorder, a chunk every few seconds) arrives here chunk by chunk while the alarm's
page is open, whether the call connected, failed or was never answered.

Append-only: a chunk (recording, seq) once stored is never replaced. The same seq sent again with the
same bytes (a retry whose answer was lost) is answered as stored; with other bytes it is refused (409).
Each chunk is stored through the media store (content-addressed) with its own sha256; the recording's
final hash is sha256 over every chunk's bytes in seq order, computed from the stored files when the
recording becomes final: when the page says it ended and every chunk it counted is here, or when the
page went silent (calls/recording_jobs.py).

Limits (settings, README "Recordings"): the chunk size, the bytes of all recordings of one alarm, the
minutes of one recording, the recordings of one alarm. Chunks keep being accepted after the call ended
and after the alarm itself ended (closed or cancelled) for `portal.call.recording_grace_minutes`: the
phone may have been offline while the dispatcher closed it."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.alarms.models import CALL_KINDS, Alarm
from portal.alarms.raising import is_open as alarm_is_open
from portal.audit import chain as audit
from portal.calls.models import CallRecording, RecordingChunk
from portal.calls.services import latest_call
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.media.uploads import _remove_on_abort

# What MediaRecorder reports (Chromium, Firefox: WebM; Safari: MP4), with or without codecs.
MIME = re.compile(r'(video|audio)/(webm|mp4|ogg|x-matroska)(;\s*codecs="?[A-Za-z0-9.,\s]{1,70}"?)?')
SUFFIX = ".chunk"  # the store's suffix for recording chunks: no other media shares their keys
MAX_SEQ = 99999  # a chunk every 3 s for more than three days: beyond any recording's limit
DURATION_SLACK = timedelta(seconds=10)  # a page's clock against ours, at the declared end
NO_SUCH = _("There is no such recording on this alarm.")


def _setting(request, name: str) -> float:
    return float(request.registry.settings[f"portal.call.recording_{name}"])


def chunk_limit(settings) -> int:
    return int(float(settings["portal.call.recording_chunk_mb"]) * 1024 * 1024)


def media_type(mime: str) -> str:
    """The container's type alone (video/webm), as the recording is served."""
    return mime.split(";", 1)[0].strip().lower()


def _checked_mime(value) -> str:
    mime = value.strip() if isinstance(value, str) else ""
    if len(mime) > 100 or not MIME.fullmatch(mime):
        raise Refused(_("A recording is WebM, MP4 or Ogg video or audio."), 415)
    base, _sep, params = mime.partition(";")
    return base.lower() + (";" + params.strip() if params else "")


def accepting(request, alarm: Alarm, *, now=None) -> bool:
    """Whether the alarm's page may still upload: while the alarm is open, then for the grace period."""
    if alarm_is_open(alarm):
        return True
    now = now or utcnow()
    grace = timedelta(minutes=_setting(request, "grace_minutes"))
    return alarm.ended_at is not None and now <= alarm.ended_at + grace


def start(request, alarm: Alarm, mime) -> CallRecording:
    """A new recording of this call alarm, tied to its latest call (if any)."""
    if alarm.kind not in CALL_KINDS:
        raise Refused(_("This alarm was sent as a text alarm: it has no call to record."), 409)
    if not alarm_is_open(alarm):
        raise Refused(_("This alarm has ended. In danger again? Send a new alarm or call 110."), 409)
    mime = _checked_mime(mime)
    dbsession = request.dbsession
    started = dbsession.execute(select(func.count()).select_from(CallRecording)
                                .where(CallRecording.alarm_id == alarm.id)).scalar_one()
    if started >= _setting(request, "max_per_alarm"):
        raise Refused(_("This alarm has as many recordings as it may keep."), 429)
    call = latest_call(dbsession, alarm)
    recording = CallRecording(alarm_id=alarm.id, call_id=call.id if call is not None else None, mime=mime,
                              state="open", chunk_count=0, total_bytes=0, started_at=utcnow(), last_chunk_at=utcnow())
    dbsession.add(recording)
    dbsession.flush()
    audit.record(request, "recording.started", officer=None, actor="public", object_type="call_recording",
                 object_id=recording.id, reason=f"alarm {alarm.id}; {mime}")
    return recording


def recording_of_alarm(request, alarm: Alarm, recording_id: int, *, lock=False) -> CallRecording:
    """This alarm's recording (404 otherwise), locked for the request when `lock`: chunks of one
    recording are taken one at a time, so counts and the idempotency check see each other."""
    query = select(CallRecording).where(CallRecording.id == recording_id, CallRecording.alarm_id == alarm.id)
    if lock:
        query = query.with_for_update()
    recording = request.dbsession.execute(query).scalar_one_or_none()
    if recording is None:
        raise Refused(NO_SUCH, 404)
    if recording.purged_at is not None:
        raise Refused(_("This recording was deleted at the end of its retention period."), 410)
    return recording


def _stored(dbsession, recording: CallRecording, seq: int) -> RecordingChunk | None:
    return dbsession.execute(select(RecordingChunk).where(
        RecordingChunk.recording_id == recording.id, RecordingChunk.seq == seq)).scalar_one_or_none()


def add_chunk(request, alarm: Alarm, recording: CallRecording, seq: int, data: bytes,
              content_type: str) -> tuple[RecordingChunk, bool]:
    """Store chunk `seq`; return it and whether it is new (False: the same bytes were already here)."""
    dbsession = request.dbsession
    if not 0 <= seq <= MAX_SEQ:
        raise Refused(_("A chunk's number is 0 to ${max}.", mapping={"max": MAX_SEQ}), 400)
    if not data:
        raise Refused(_("The chunk is empty."), 400)
    if len(data) > chunk_limit(request.registry.settings):
        raise Refused(_("The chunk is too large."), 413)
    sha = hashlib.sha256(data).hexdigest()
    existing = _stored(dbsession, recording, seq)
    if existing is not None:
        if existing.sha256 == sha and existing.size == len(data):
            return existing, False
        raise Refused(_("Chunk ${seq} is already stored with other bytes: it is never replaced.",
                                 mapping={"seq": seq}), 409)
    if (content_type or "").lower() != media_type(recording.mime):
        raise Refused(_("A chunk is sent with the recording's own type."), 415)
    _check_open(request, alarm, recording, len(data))
    store = request.registry["media_store"]
    written: list = []
    _remove_on_abort(request, store, written)
    key, _sha, size = store.put_bytes(data, SUFFIX, written)
    chunk = RecordingChunk(recording_id=recording.id, seq=seq, storage_key=key, size=size, sha256=sha,
                           received_at=utcnow())
    dbsession.add(chunk)
    recording.chunk_count += 1
    recording.total_bytes += size
    recording.last_chunk_at = chunk.received_at
    dbsession.flush()
    if recording.expected_chunks is not None and _complete(dbsession, recording):
        finalize(request, recording, "page")  # the last chunk the page was still sending after its end
    return chunk, True


def _check_open(request, alarm: Alarm, recording: CallRecording, size: int) -> None:
    """A new chunk fits: the recording is not final, the page may still upload, the limits hold."""
    if recording.state == "final":
        raise Refused(_("This recording has ended: no chunk can be added."), 409)
    now = utcnow()
    if not accepting(request, alarm, now=now):
        raise Refused(_("This alarm ended too long ago to add to its recording."), 409)
    if now > recording.started_at + timedelta(minutes=_setting(request, "max_minutes")):
        raise Refused(_("This recording reached its longest time."), 409)
    held = request.dbsession.execute(select(func.coalesce(func.sum(CallRecording.total_bytes), 0))
                                     .where(CallRecording.alarm_id == alarm.id)).scalar_one()
    if held + size > _setting(request, "max_mb") * 1024 * 1024:
        raise Refused(_("The recordings of this alarm reached their largest size."), 413)


def _complete(dbsession, recording: CallRecording) -> bool:
    """Every chunk the page counted (0 .. expected-1) is stored."""
    stored = dbsession.execute(select(func.count()).select_from(RecordingChunk).where(
        RecordingChunk.recording_id == recording.id, RecordingChunk.seq < recording.expected_chunks)).scalar_one()
    return stored == recording.expected_chunks


def end(request, recording: CallRecording, chunks, duration_ms) -> CallRecording:
    """The page stopped recording after `chunks` chunks (seq 0 .. chunks-1) and `duration_ms`. The
    recording becomes final when all of them are here; otherwise when the missing ones arrive, or
    when the worker finds it silent. A repeated end changes nothing."""
    if not _whole(chunks) or not _whole(duration_ms) or chunks > MAX_SEQ + 1:
        raise Refused(_("chunks and duration_ms are whole numbers."), 400)
    if recording.state == "final" or recording.expected_chunks is not None:
        return recording
    dbsession = request.dbsession
    highest = dbsession.execute(select(func.max(RecordingChunk.seq))
                                .where(RecordingChunk.recording_id == recording.id)).scalar_one()
    recording.expected_chunks = max(chunks, highest + 1 if highest is not None else 0)
    longest = utcnow() - recording.started_at + DURATION_SLACK
    recording.duration_ms = min(duration_ms, int(longest.total_seconds() * 1000))
    if _complete(dbsession, recording):
        finalize(request, recording, "page")
    dbsession.flush()
    return recording


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31 - 1


def chunks_of(dbsession, recording: CallRecording) -> list[RecordingChunk]:
    return dbsession.execute(select(RecordingChunk).where(RecordingChunk.recording_id == recording.id)
                             .order_by(RecordingChunk.seq)).scalars().all()


def final_hash(store, chunks) -> str:
    """sha256 over the stored bytes of `chunks`, in the order given (seq order)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        with store.open(chunk.storage_key) as stored:
            while block := stored.read(64 * 1024):
                digest.update(block)
    return digest.hexdigest()


def finalize(request, recording: CallRecording, reason: str) -> None:
    """No chunk is added any more; the final hash is taken over what is stored."""
    store = request.registry["media_store"]
    recording.sha256 = final_hash(store, chunks_of(request.dbsession, recording))
    recording.state, recording.end_reason, recording.finished_at = "final", reason, utcnow()
    audit.record(request, "recording.final", officer=None, actor="system" if reason == "idle" else "public",
                 object_type="call_recording", object_id=recording.id,
                 reason=f"alarm {recording.alarm_id}; {recording.chunk_count} chunks; {recording.total_bytes} bytes; "
                        f"sha256 {recording.sha256}")
