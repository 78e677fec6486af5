"""The caller's recording, under the alarm's secret link (/alarm/{token}/call/recording...): start a
recording, add its chunks in order (the raw bytes, Content-Type the recording's type), end it.

Like the call's other endpoints these refuse what the browser marks as coming from another site, and
answer JSON, refusals included (4xx with {"error"}): the page's script (static/js/call-recorder.js)
retries only what may succeed later (network errors, 5xx, 429). A refused request stores nothing."""
import functools

from pyramid.view import view_config

from portal.calls import recording
from portal.calls.requests import json_body
from portal.calls.views.caller import FOREIGN
from portal.core.ids import record_id
from portal.core.json import from_this_site, json_error, json_response
from portal.core.refused import Refused


def _json_refusals(view):
    """Refusals answered as JSON, whatever the request accepts; the transaction does not commit."""

    @functools.wraps(view)
    def wrapped(context, request):
        try:
            if not from_this_site(request):
                raise Refused(FOREIGN, 403)
            return view(context, request)
        except Refused as refused:
            request.tm.doom()
            return json_error(request, refused.status, refused.message)
    return wrapped


def _recording(request, context, *, lock=False):
    recording_id = record_id(request.matchdict["rid"])
    if recording_id is None:
        raise Refused(recording.NO_SUCH, 404)
    return recording.recording_of_alarm(request, context.alarm, recording_id, lock=lock)


def recording_json(request, rec) -> dict:
    return {"id": rec.id, "state": rec.state, "chunks": rec.chunk_count, "bytes": rec.total_bytes,
            "expected_chunks": rec.expected_chunks, "sha256": rec.sha256}


@view_config(route_name="call_recording", request_method="POST", require_csrf=False)
@_json_refusals
def start(context, request):
    rec = recording.start(request, context.alarm, json_body(request).get("mime"))
    token = request.matchdict["token"]
    return json_response({
        **recording_json(request, rec),
        "chunks_url": request.route_path("call_recording_chunk", token=token, rid=rec.id, seq=0)[:-1],
        "end_url": request.route_path("call_recording_end", token=token, rid=rec.id),
        "max_chunk_bytes": recording.chunk_limit(request.registry.settings),
    }, status=201)


@view_config(route_name="call_recording_chunk", request_method="POST", require_csrf=False)
@_json_refusals
def chunk(context, request):
    """Chunk {seq}: 201 stored now, 200 already stored with these very bytes (a retry)."""
    rec = _recording(request, context, lock=True)
    limit = recording.chunk_limit(request.registry.settings)
    data = request.body_file.read(limit + 1)
    stored, new = recording.add_chunk(request, context.alarm, rec, int(request.matchdict["seq"]), data,
                                      request.content_type)
    return json_response({"seq": stored.seq, "sha256": stored.sha256, "size": stored.size,
                          "recording": recording_json(request, rec)}, status=201 if new else 200)


@view_config(route_name="call_recording_end", request_method="POST", require_csrf=False)
@_json_refusals
def end(context, request):
    """The page stopped recording: {"chunks": how many it made, "duration_ms": how long it ran}."""
    rec = _recording(request, context, lock=True)
    body = json_body(request)
    recording.end(request, rec, body.get("chunks"), body.get("duration_ms"))
    return json_response(recording_json(request, rec))
