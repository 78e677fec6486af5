"""The dispatcher's side of recordings: the "Recordings" section of the alarm's staff page, one
recording's page (facts, the reason form), playing it once a reason is stated (audited, each time),
its bytes for the player, and checking its stored bytes against its hashes.

Scoped as the alarm's own page: dispatchers of the alarm's command center and the centers above
(resources.StaffRecordingContext); anyone else gets 403."""
from pyramid.events import BeforeRender, subscriber
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.view import view_config

from portal.calls import evidence
from portal.calls.recording import media_type
from portal.core.forms import posted_text
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.core.refused import Refused

PAGE = "calls/recording.html"


@subscriber(BeforeRender)
def alarm_page_recordings(event):
    """The alarm's staff page (alarms/views/staff.py) lists the alarm's recordings: alarms sit below
    calls and cannot ask for them, so they are added to what that page renders."""
    values = event.rendering_val
    if event.get("renderer_name") != "staff/alarm.html" or not isinstance(values, dict) or "alarm" not in values:
        return
    event["recordings"] = evidence.alarm_recordings(event["request"].dbsession, values["alarm"].id)
    event["recording_summary"] = facts


def facts(recording) -> dict:
    """What the list and the page say of a recording, beside its times."""
    duration = recording.duration_ms
    if duration is None and recording.finished_at is not None:
        duration = int((recording.last_chunk_at - recording.started_at).total_seconds() * 1000)
    missing = (recording.expected_chunks or recording.chunk_count) - recording.chunk_count
    return {"duration_s": round(duration / 1000) if duration is not None else None, "missing": max(missing, 0),
            "audio_only": media_type(recording.mime).startswith("audio/"),
            "megabytes": f"{recording.total_bytes / 1024 / 1024:.1f}"}


def _page(request, recording, *, playing=False, verification=None, error=None):
    return {"recording": recording, "alarm": recording.alarm, "facts": facts(recording), "playing": playing,
            "verification": verification, "error": error,
            "media_url": request.route_path("staff_recording_media", id=recording.id)}


@view_config(route_name="staff_recording", renderer=PAGE, request_method="GET", permission=Permission.DISPATCH)
def recording_page(context, request):
    return _page(request, context.recording)


@view_config(route_name="staff_recording_view", renderer=PAGE, request_method="POST",
             permission=Permission.DISPATCH)
def view(context, request):
    """A reason given: audited, then the player; the stored bytes are checked on the way."""
    recording = context.recording
    try:
        evidence.grant_view(request, recording, posted_text(request, "reason"))
    except Refused as refused:
        request.response.status_int = refused.status
        return _page(request, recording, error=refused.message)
    request.response.cache_control = "no-store"
    return _page(request, recording, playing=True, verification=evidence.verify(request, recording))


@view_config(route_name="staff_recording_media", request_method=("GET", "HEAD"), permission=Permission.DISPATCH)
def media(context, request):
    if not evidence.may_play(request, context.recording):
        raise HTTPForbidden()  # state a reason on the recording's page first
    return evidence.response(request, context.recording)


@view_config(route_name="staff_recording_verify", request_method="POST", permission=Permission.DISPATCH)
def verify(context, request):
    recording = context.recording
    result = evidence.verify(request, recording)
    if result.ok:
        said = _("Recording ${id}: every chunk and the final hash match the stored bytes.",
                 mapping={"id": recording.id})
    else:
        said = _("Recording ${id}: the stored bytes do NOT match their hashes (chunks ${seqs}).",
                 mapping={"id": recording.id, "seqs": ", ".join(map(str, result.bad_chunks)) or "-"})
    request.session.flash(request.localizer.translate(said))
    return HTTPSeeOther(request.route_path("staff_alarm", id=context.alarm.id, _anchor="recordings"))
