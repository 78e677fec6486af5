"""The tus 1.0 endpoints (core, creation, termination, expiration, checksum): thin, the work is in
resumable/service.py. Every request but OPTIONS carries `Tus-Resumable: 1.0.0` and the page's CSRF
token (X-CSRF-Token), which also says whose uploads it may see. Refusals the person should read
come as JSON `{"error": ...}`, translated."""
from pyramid.response import Response
from pyramid.view import view_config

from portal.core.json import json_error
from portal.media.resumable import protocol, service
from portal.media.resumable.purposes import purposes
from portal.media.resumable.service import TusRefused


def _answer(status: int, **headers) -> Response:
    response = Response(status=status)
    response.headers.update({"Tus-Resumable": protocol.TUS_VERSION, "Cache-Control": "no-store", **headers})
    return response


def _refused(request, refused: TusRefused) -> Response:
    if refused.message is None:
        response = _answer(refused.status)
    else:
        response = json_error(request, refused.status, refused.message)
        response.headers["Tus-Resumable"] = protocol.TUS_VERSION
    response.headers.update(refused.headers)
    return response


def _check_version(request) -> None:
    if request.headers.get("Tus-Resumable") != protocol.TUS_VERSION:
        raise TusRefused(412, **{"Tus-Version": protocol.TUS_VERSION})


def _expires(upload) -> dict:
    return {"Upload-Expires": protocol.http_date(upload.expires_at)}


@view_config(route_name="resumable_uploads", request_method="OPTIONS", require_csrf=False)
@view_config(route_name="resumable_upload", request_method="OPTIONS", require_csrf=False)
def options(request):
    largest = max((p.largest_file for p in purposes(request.registry).values()), default=0)
    return _answer(204, **{"Tus-Version": protocol.TUS_VERSION, "Tus-Extension": protocol.EXTENSIONS,
                           "Tus-Max-Size": str(largest),
                           "Tus-Checksum-Algorithm": ",".join(protocol.CHECKSUM_ALGORITHMS)})


@view_config(route_name="resumable_uploads", request_method="POST")
def create(request):
    try:
        _check_version(request)
        upload = service.create(request, request.headers.get("Upload-Length"), request.headers.get("Upload-Metadata"))
    except TusRefused as refused:
        return _refused(request, refused)
    return _answer(201, Location=request.route_path("resumable_upload", id=upload.id), **_expires(upload))


@view_config(route_name="resumable_upload", request_method="HEAD")
def status(request):
    try:
        _check_version(request)
        upload = service.owned(request, request.matchdict["id"])
    except TusRefused as refused:
        return _refused(request, refused)
    return _answer(200, **{"Upload-Offset": str(service.offset(request, upload)), "Upload-Length": str(upload.length),
                           **_expires(upload)})


@view_config(route_name="resumable_upload", request_method="PATCH")
def append(request):
    try:
        _check_version(request)
        upload = service.owned(request, request.matchdict["id"])
        offset = service.append(request, upload, request.headers.get("Upload-Offset"),
                                request.headers.get("Upload-Checksum"))
    except TusRefused as refused:
        return _refused(request, refused)
    return _answer(204, **{"Upload-Offset": str(offset), **_expires(upload)})


@view_config(route_name="resumable_upload", request_method="DELETE")
def terminate(request):
    try:
        _check_version(request)
        service.discard(request, service.owned(request, request.matchdict["id"]))
    except TusRefused as refused:
        return _refused(request, refused)
    return _answer(204)
