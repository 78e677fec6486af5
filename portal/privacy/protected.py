"""Protected fields: stored encrypted; every showing names the officer and reason and is audited."""
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.refused import Refused

MIN_REASON_LENGTH = 5
NO_REASON = _("Give a reason (at least ${n} characters).", mapping={"n": MIN_REASON_LENGTH})


def seal(request, plaintext: str | None, label: str) -> str | None:
    if not plaintext:
        return None
    return request.registry["field_cipher"].encrypt(plaintext, label)


def reveal(request, token: str | None, *, officer, label: str, object_type: str, object_id, reason: str):
    """Decrypt one protected field for this officer and write the audit event first.

    Authorization (is this officer the handler / dispatcher for the object?) is the caller's
    context ACL; this call makes sure no showing goes unrecorded."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(NO_REASON, 400, "reason")
    if officer is None:
        raise Refused(_("Only a signed-in officer can see protected fields."), 403)
    audit.record(
        request,
        "protected.reveal",
        officer=officer,
        object_type=object_type,
        object_id=object_id,
        reason=f"{label}: {reason}",
    )
    if token is None:
        return None
    return request.registry["field_cipher"].decrypt(token, label)
