"""What goes into the evidence package of a tip, a sighting, an alarm or a family's request: the
subject's own facts, the stored files (originals as received, staff copies, thumbnails; an alarm's
call recordings chunk by chunk) and the audit events naming the subject, its files and its parts.

A file is named in the package by what it is (`originals/tip-5-media-12.jpg`), never by the name it had
on the sender's device, which is a protected field."""
import os
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select

from portal.alarms import dispatch
from portal.alarms.models import Alarm
from portal.audit.models import AuditEvent
from portal.calls.models import Call, CallRecording
from portal.calls.recording import chunks_of
from portal.media.models import Media
from portal.missing.models import MissingPersonRequest
from portal.sightings.models import Sighting
from portal.tips.models import Tip, TipReward

KINDS = ("tip", "sighting", "alarm", "missing_request")


@dataclass
class StoredFile:
    """One file of the package: where it is in the store and what the portal recorded about it."""

    path: str  # inside the ZIP
    key: str  # in the media store
    role: str  # original, staff-copy, thumbnail, playable-copy, poster, recording-chunk
    content_type: str
    facts: dict = field(default_factory=dict)  # upload time, capture metadata, the hash taken on arrival


@dataclass
class Source:
    kind: str
    subject: object
    unit: object
    facts: dict
    files: list[StoredFile]
    audit_refs: list[tuple[str, str]]  # (object_type, object_id) whose events are the chain of custody


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _position(lat, lon) -> dict | None:
    return {"lat": lat, "lon": lon} if lat is not None and lon is not None else None


# Where each kind of copy goes in the package, and what tells two copies of one file apart.
COPY_PLACES = {"staff-copy": ("copies", ""), "playable-copy": ("copies", "-playable"), "thumbnail": ("thumbnails", ""),
               "poster": ("thumbnails", "-poster")}


def staff_copies(media: Media) -> list[tuple[str, str, str]]:
    """(role, key, content type) of every copy made for staff: the cleaned or re-encoded copy and its
    thumbnail, and the playable copy the worker made with ffmpeg (media/transcode.py) with its poster."""
    copies = []
    if media.public_key and media.public_key != media.original_key:
        copy_type = "image/jpeg" if media.kind == "image" else media.content_type
        copies.append(("staff-copy", media.public_key, copy_type))
    if media.thumb_key:
        copies.append(("thumbnail", media.thumb_key, "image/jpeg"))
    playable = media.staff_copy
    if playable is not None and playable.state == "ready" and playable.copy_key:
        copies.append(("playable-copy", playable.copy_key, playable.content_type or "video/mp4"))
        if playable.poster_key:
            copies.append(("poster", playable.poster_key, "image/jpeg"))
    return copies


def media_files(prefix: str, media: Media, extra: dict | None = None) -> list[StoredFile]:
    """The original and its copies, each with the facts the portal keeps about the media."""
    facts = {"media_id": media.id, "kind": media.kind, "uploaded_at": _time(media.uploaded_at),
             "captured_at": _time(media.captured_at),
             "captured_position": _position(media.captured_lat, media.captured_lon), **(extra or {})}
    suffix = os.path.splitext(media.original_key)[1] or ".bin"
    files = [StoredFile(f"originals/{prefix}-media-{media.id}{suffix}", media.original_key, "original",
                        media.content_type, dict(facts, sha256_on_arrival=media.sha256, size_on_arrival=media.size))]
    for role, key, content_type in staff_copies(media):
        folder, tag = COPY_PLACES[role]
        files.append(StoredFile(f"{folder}/{prefix}-media-{media.id}{tag}{os.path.splitext(key)[1] or '.bin'}", key,
                                role, content_type, {"media_id": media.id, "copy_of": "original"}))
    return files


def _media_refs(medias) -> list[tuple[str, str]]:
    return [("media", str(m.id)) for m in medias]


def tip_source(dbsession, tip: Tip) -> Source:
    files, medias = [], []
    for attachment in tip.attachments:
        media = attachment.media
        medias.append(media)
        files += media_files(f"tip-{tip.id}", media, {
            "flags": (attachment.flags or "").split(), "sent_with": "reply" if attachment.message_id else "tip",
            "client_captured_at": _time(attachment.client_captured_at),
            "client_position": _position(attachment.client_lat, attachment.client_lon)})
    rewards = dbsession.execute(select(TipReward.id).where(TipReward.tip_id == tip.id)).scalars().all()
    facts = {"category": tip.category.slug, "state": tip.state, "outcome": tip.outcome,
             "created_at": _time(tip.created_at), "happened_at": _time(tip.happened_at),
             "stated_position": _position(tip.lat, tip.lon), "closed_at": _time(tip.closed_at)}
    refs = [("tip", str(tip.id)), *(("tip_reward", str(r)) for r in rewards), *_media_refs(medias)]
    return Source("tip", tip, tip.unit, facts, files, refs)


def sighting_source(dbsession, sighting: Sighting) -> Source:
    media = sighting.media
    facts = {"notice_id": sighting.notice_id, "state": sighting.state, "created_at": _time(sighting.created_at),
             "seen_at": _time(sighting.seen_at), "stated_position": _position(sighting.lat, sighting.lon)}
    files = media_files(f"sighting-{sighting.id}", media) if media is not None else []
    refs = [("sighting", str(sighting.id)), *_media_refs([media] if media is not None else [])]
    return Source("sighting", sighting, sighting.unit, facts, files, refs)


def alarm_source(dbsession, alarm: Alarm) -> Source:
    photos = dispatch.photos(dbsession, alarm)
    files = [f for media in photos for f in media_files(f"alarm-{alarm.id}", media)]
    recordings = dbsession.execute(select(CallRecording).where(CallRecording.alarm_id == alarm.id)
                                   .order_by(CallRecording.id)).scalars().all()
    for recording in recordings:
        for chunk in chunks_of(dbsession, recording):
            suffix = os.path.splitext(chunk.storage_key)[1] or ".bin"
            files.append(StoredFile(f"recordings/alarm-{alarm.id}-recording-{recording.id}-{chunk.seq:05d}{suffix}",
                                    chunk.storage_key, "recording-chunk", recording.mime or "application/octet-stream",
                                    {"recording_id": recording.id, "seq": chunk.seq,
                                     "received_at": _time(chunk.received_at), "sha256_on_arrival": chunk.sha256,
                                     "size_on_arrival": chunk.size,
                                     "recording_final_sha256": recording.sha256}))
    calls = dbsession.execute(select(Call.id).where(Call.alarm_id == alarm.id)).scalars().all()
    facts = {"kind": alarm.kind, "state": alarm.state, "created_at": _time(alarm.created_at),
             "position": _position(alarm.lat, alarm.lon), "located_at": _time(alarm.located_at)}
    refs = [("alarm", str(alarm.id)), *(("call", str(c)) for c in calls),
            *(("call_recording", str(r.id)) for r in recordings), *_media_refs(photos)]
    return Source("alarm", alarm, alarm.unit, facts, files, refs)


def missing_source(dbsession, missing: MissingPersonRequest) -> Source:
    photos = dbsession.execute(select(Media).where(Media.notice_id == missing.notice_id)
                               .order_by(Media.position, Media.id)).scalars().all() if missing.notice_id else []
    files = [f for media in photos for f in media_files(f"missing-{missing.id}", media)]
    facts = {"state": missing.state, "created_at": _time(missing.created_at), "notice_id": missing.notice_id}
    refs = [("missing_request", str(missing.id)), *_media_refs(photos)]
    return Source("missing_request", missing, missing.command_unit, facts, files, refs)


def audit_events(dbsession, refs: list[tuple[str, str]]) -> list[AuditEvent]:
    """Every audit event about the subject, its parts and its files, in chain order."""
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in refs:
        by_type.setdefault(object_type, []).append(object_id)
    condition = or_(*(and_(AuditEvent.object_type == t, AuditEvent.object_id.in_(ids)) for t, ids in by_type.items()))
    return list(dbsession.execute(select(AuditEvent).where(condition).order_by(AuditEvent.seq)).scalars())
