"""A missing person's medical needs: a protected field (sealed at rest, each showing to an officer
audited with a reason), public only when the family agreed (MissingPersonDetails.medical_needs_public)."""
from portal.privacy import protected

MEDICAL_LABEL = "missing.medical_needs"
MAX_CHARS = 2000


def seal(request, text: str | None) -> str | None:
    return protected.seal(request, (text or "").strip()[:MAX_CHARS], MEDICAL_LABEL)


def public_text(request, details) -> str | None:
    """The medical needs for public pages and the API: only with the family's consent, else None."""
    if details is None or not details.medical_needs_public or not details.medical_needs:
        return None
    return request.registry["field_cipher"].decrypt(details.medical_needs, MEDICAL_LABEL)


def reveal(request, details, *, object_type: str, object_id, reason: str) -> str:
    """For the signed-in officer, audited (with the reason) before it is decrypted."""
    return protected.reveal(request, details.medical_needs, officer=request.identity, label=MEDICAL_LABEL,
                            object_type=object_type, object_id=object_id, reason=reason) or ""
