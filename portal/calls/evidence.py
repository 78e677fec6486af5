"""A recording as evidence for the police: checking its stored bytes against the hashes taken when
they arrived, playing it (the chunks streamed in seq order, with byte ranges for the player), who may
play it (a dispatcher of the alarm's command center, after stating a reason: each one audited), and
what retention removes (the chunks' files and rows; the recording's row stays, emptied, for
statistics)."""
import hashlib
import time
from dataclasses import dataclass, field

from pyramid.response import Response
from sqlalchemy import delete, exists, select

from portal.audit import chain as audit
from portal.calls.models import CallRecording, RecordingChunk
from portal.calls.recording import chunks_of, media_type
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.privacy.protected import MIN_REASON_LENGTH, NO_REASON

BLOCK = 64 * 1024
GRANTS = "recording_grants"  # session key: {recording id: until (epoch seconds)}
MAX_GRANTS = 8  # the newest stay: a cookie session holds little


@dataclass
class Verification:
    ok: bool = True
    chunks: int = 0
    bad_chunks: list[int] = field(default_factory=list)  # seqs whose bytes changed or are gone
    missing_seqs: int = 0  # gaps in 0..highest (never arrived)
    final_ok: bool | None = None  # None: not final yet, no final hash to compare


def verify(request, recording: CallRecording) -> Verification:
    """Read every stored chunk again: its sha256 against the one taken when it arrived, and the
    final hash over all of them in seq order. The result is kept on the recording and audited."""
    store = request.registry["media_store"]
    chunks = chunks_of(request.dbsession, recording)
    result = Verification(chunks=len(chunks))
    whole = hashlib.sha256()
    for chunk in chunks:
        digest = hashlib.sha256()
        try:
            with store.open(chunk.storage_key) as stored:
                while block := stored.read(BLOCK):
                    digest.update(block)
                    whole.update(block)
        except FileNotFoundError:
            result.bad_chunks.append(chunk.seq)
            continue
        if digest.hexdigest() != chunk.sha256:
            result.bad_chunks.append(chunk.seq)
    result.missing_seqs = (chunks[-1].seq + 1 - len(chunks)) if chunks else 0
    if recording.sha256 is not None:
        result.final_ok = whole.hexdigest() == recording.sha256 and not result.bad_chunks
    result.ok = not result.bad_chunks and result.final_ok is not False
    recording.verified_at, recording.verified_ok = utcnow(), result.ok
    audit.record(request, "recording.verify", object_type="call_recording", object_id=recording.id,
                 reason=f"{'ok' if result.ok else 'FAILED'}; {result.chunks} chunks; changed or missing files: "
                        f"{result.bad_chunks or 'none'}; final hash {_word(result.final_ok)}")
    return result


def _word(final_ok) -> str:
    return {True: "matches", False: "DIFFERS", None: "not taken yet"}[final_ok]


def grant_view(request, recording: CallRecording, reason: str) -> None:
    """A dispatcher states why they play this recording: audited first, then their session may
    fetch its bytes for `portal.call.recording_view_minutes`. Every statement is a new event."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(NO_REASON, 400, "reason")
    if recording.purged_at is not None:
        raise Refused(_("This recording was deleted at the end of its retention period."), 410)
    audit.record(request, "recording.view", object_type="call_recording", object_id=recording.id,
                 reason=f"alarm {recording.alarm_id}: {reason}")
    minutes = float(request.registry.settings["portal.call.recording_view_minutes"])
    grants = {k: v for k, v in dict(request.session.get(GRANTS) or {}).items() if v > time.time()}
    grants[str(recording.id)] = int(time.time() + minutes * 60)
    request.session[GRANTS] = dict(sorted(grants.items(), key=lambda kv: kv[1])[-MAX_GRANTS:])


def may_play(request, recording: CallRecording) -> bool:
    until = (request.session.get(GRANTS) or {}).get(str(recording.id))
    return isinstance(until, int) and until > time.time() and recording.purged_at is None


def response(request, recording: CallRecording) -> Response:
    """The recording's bytes: the chunks in seq order, streamed; one byte range when asked (a player
    seeks with them). Chunks are read from the store as the response goes out."""
    chunks = chunks_of(request.dbsession, recording)
    store = request.registry["media_store"]
    pieces = [(c.storage_key, c.size) for c in chunks]
    total = sum(size for _key, size in pieces)
    answer = Response(content_type=media_type(recording.mime), accept_ranges="bytes")
    answer.cache_control = "private, no-store"
    wanted = request.range.range_for_length(total) if request.range is not None else None
    if request.range is not None and wanted is None:
        answer.status_int, answer.content_range = 416, f"bytes */{total}"
        return answer
    first, after = wanted if wanted is not None else (0, total)
    if wanted is not None:
        answer.status_int, answer.content_range = 206, (first, after, total)
    answer.content_length = after - first
    answer.app_iter = _bytes(store, pieces, first, after) if request.method != "HEAD" else []
    return answer


def _bytes(store, pieces, first: int, after: int):
    """Bytes [first, after) of the concatenated pieces."""
    offset = 0
    for key, size in pieces:
        if offset + size <= first:
            offset += size
            continue
        if offset >= after:
            break
        with store.open(key) as stored:
            stored.seek(max(first - offset, 0))
            left = min(after, offset + size) - max(first, offset)
            while left > 0 and (block := stored.read(min(BLOCK, left))):
                left -= len(block)
                yield block
        offset += size


def alarm_recordings(dbsession, alarm_id: int) -> list[CallRecording]:
    return dbsession.execute(select(CallRecording).where(CallRecording.alarm_id == alarm_id)
                             .order_by(CallRecording.id)).scalars().all()


def purge(request, recording: CallRecording) -> tuple[int, int]:
    """Delete the recording's chunks: rows, then stored files no other chunk shares (keys are content
    addresses). The row stays for statistics (mime, counts, times, final hash), marked purged.
    Returns (chunks, files)."""
    dbsession = request.dbsession
    keys = set(dbsession.execute(select(RecordingChunk.storage_key)
                                 .where(RecordingChunk.recording_id == recording.id)).scalars())
    removed = dbsession.execute(delete(RecordingChunk).where(RecordingChunk.recording_id == recording.id)).rowcount
    dbsession.flush()
    store, files = request.registry["media_store"], 0
    for key in keys:
        if not dbsession.execute(select(exists().where(RecordingChunk.storage_key == key))).scalar():
            store.delete(key)
            files += 1
    if recording.state == "open":
        recording.state, recording.end_reason, recording.finished_at = "final", "purged", utcnow()
    recording.purged_at = utcnow()
    return removed, files
