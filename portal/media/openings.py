"""Every staff opening of a file sent by the public (a photo may show the reporter's face, a recording
their voice) is an audit event: who (the officer), which (the media row and the subject it belongs to),
when, and a coarse reason. Never the file's own name (a protected field) nor anything of its content.

A video or sound player fetches a file in byte ranges as it plays and seeks: the request for the start
(no Range, or a range from byte 0) is the opening; the ranges that follow are the same opening."""
from portal.audit import chain as audit

VARIANTS = ("thumbnail", "staff copy", "original")
REASON = "viewing for handling"


def is_opening(request) -> bool:
    ranges = request.range
    return ranges is None or ranges.start in (0, None)


def record_opening(request, media, *, subject_type: str, subject_id, variant: str) -> None:
    """The audit event of one opening of `media` (its `variant`) by the signed-in officer."""
    if media is None or not is_opening(request):
        return
    audit.record(request, "media.open", object_type="media", object_id=media.id,
                 reason=f"{subject_type} {subject_id}: {variant}, {REASON}")
