"""Protected fields: stored encrypted; every showing names the officer and reason and is audited."""
from portal.audit import chain as audit

MIN_REASON_LENGTH = 5


class RevealRefused(Exception):
    """Raised when a reveal is asked without a reason; the caller answers 400."""


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
        raise RevealRefused(f"A reason of at least {MIN_REASON_LENGTH} characters is required.")
    if officer is None:
        raise RevealRefused("Only a signed-in officer can see protected fields.")
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
