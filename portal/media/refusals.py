"""What the portal refuses of an upload, and a photo's size limit: apart from uploads.py, which builds on
the resumable uploads and the sniffer, so that they can refuse a file without importing it back."""
from portal.core.refused import Refused

MAX_PHOTO_BYTES = 15 * 1024 * 1024


class UploadRefused(Refused, ValueError):
    """A file we will not take: a Refused whose message says why, for the person, and whose status
    is what the response says (413 too large, 429 too often, else 400). Still a ValueError, which
    the cleaners' callers treat as "no copy"."""

    def __init__(self, message, status: int = 400):
        super().__init__(message, status)
