"""Secret links (/alarm/{token}, /trips/{token}, /guard/{token}, /invite/{token}): whoever holds the link may use it.

The token is 32 random bytes, URL-safe; the database keeps only its SHA-256, so a copy of the
database does not open anyone's alarm or trip. (A fast hash is enough: the token has 256 bits of
entropy, unlike a receipt code that people type.)"""
import hashlib
import re
import secrets

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"  # noqa: S105 - a URL pattern, not a secret
# Paths whose next segment is a token, and the pages under them that are not (log_redaction.py).
SECRET_LINK_PREFIXES = ("/alarm/", "/trips/", "/guard/", "/invite/")
NOT_SECRET_SEGMENTS = ("new", "route")
_WELL_FORMED = re.compile(TOKEN_PATTERN + r"\Z")


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed(token: str) -> bool:
    return bool(_WELL_FORMED.match(token or ""))


def by_token(request, model):
    """The row whose secret link this is; 404 for unknown links (no hint whether one ever existed)."""
    row = request.dbsession.execute(
        select(model).where(model.token_hash == token_hash(request.matchdict["token"]))
    ).scalar_one_or_none()
    if row is None:
        raise HTTPNotFound()
    return row
