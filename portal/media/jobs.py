"""The media domain's worker job: partial uploads do not outlive their process (media/incoming.py)."""
from portal.media import incoming


def sweep_partial_uploads(request) -> int:
    """What dead processes were writing, and anything older than portal.upload.stale_minutes (longer
    than any upload could take: a living process's leftover, or a disk where locks do not hold)."""
    settings = request.registry.settings
    return incoming.sweep(settings["portal.media_dir"], float(settings[incoming.STALE_SETTING]) * 60)
