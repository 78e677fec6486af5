"""Resumable uploads with the tus 1.0 protocol (README, "Resumable uploads").

The public forms that take files send each file first, in chunks, to /uploads (views.py); the form
then names the finished uploads by id (claim.py), and the form's own checks and storing run on them
unchanged. An interrupted upload resumes where it stopped, also after a reload (the browser keeps
the upload's URL); a wrong file is refused by the chunk that brings its first bytes; unfinished or
unclaimed uploads expire (the worker's `resumable-expire`). Without JavaScript the multipart forms
work as before."""
import re

from portal.media.resumable.purposes import PHOTO, Purpose, add_purpose  # noqa: F401  (the domains' API)

UPLOAD_PATH = re.compile(r"/uploads/[A-Za-z0-9_-]{43}")


def is_chunk(request) -> bool:
    return request.method == "PATCH" and UPLOAD_PATH.fullmatch(request.path_info) is not None


def retry_attempts(request, previous=None):
    """pyramid_retry's activate hook: no replay (hence no copy of the chunk's body) for PATCHes."""
    if is_chunk(request):
        return 1
    return previous(request) if previous is not None else None


def includeme(config):
    settings = config.get_settings()
    config.add_route("resumable_uploads", "/uploads")
    config.add_route("resumable_upload", r"/uploads/{id:[A-Za-z0-9_-]{43}}")
    add_purpose(config, PHOTO)
    config.scan(".views")
    previous = config.maybe_dotted(settings.get("retry.activate_hook"))
    settings["retry.activate_hook"] = (
        (lambda request: retry_attempts(request, previous)) if previous is not None else retry_attempts
    )
