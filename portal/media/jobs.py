"""The media domain's worker job: partial uploads do not outlive their process (media/incoming.py)."""
from portal.media import incoming
from portal.media.resumable import service as resumable


def sweep_partial_uploads(request) -> int:
    """What dead processes were writing, and anything older than portal.upload.stale_minutes (longer
    than any upload could take: a living process's leftover, or a disk where locks do not hold)."""
    settings = request.registry.settings
    return incoming.sweep(settings["portal.media_dir"], float(settings[incoming.STALE_SETTING]) * 60)


def expire_resumable_uploads(request) -> int:
    """Resumable uploads past their time (unfinished, or never sent with their form) and stray files."""
    return resumable.expire_due(request)
