"""Sessions and CSRF. Identity and authorization come from accounts/ (its security policy).

The session lives in one signed cookie, which browsers cap at about 4 KB. Flash messages are
bounded (the newest few, each cut to a length) so they cannot fill it, and a session that still
does not fit never turns a response that has already been committed into a bare error: what is
only nice to have (flash messages) goes first, then the whole session (signed out, logged)."""
import json
import logging

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory
from pyramid.settings import asbool

log = logging.getLogger(__name__)

MAX_FLASH_MESSAGES = 4  # per queue; older ones are dropped
MAX_FLASH_BYTES = 300  # UTF-8 bytes per message (100 Chinese characters)
FLASH_PREFIX = "_f_"  # Pyramid's own key prefix for flash queues


class CompactJSONSerializer:
    """JSON in UTF-8 as it is (not \\u escapes: a Chinese message costs half as much cookie)."""

    def dumps(self, appstruct) -> bytes:
        return json.dumps(appstruct, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def loads(self, bstruct: bytes):
        try:
            return json.loads(bstruct)
        except (ValueError, UnicodeDecodeError) as exc:  # a forged or cut cookie starts a new session
            raise ValueError(str(exc)) from exc


def shortened(message) -> str:
    """The message cut to MAX_FLASH_BYTES (on a character boundary, with an ellipsis)."""
    text = str(message)
    if len(text.encode("utf-8")) <= MAX_FLASH_BYTES:
        return text
    cut = text.encode("utf-8")[: MAX_FLASH_BYTES - 3].decode("utf-8", "ignore")
    return cut + "…"


def bounded(session_class):
    """The cookie session class with bounded flash queues and a cookie that always gets written."""

    class BoundedSession(session_class):
        def flash(self, msg, queue="", allow_duplicate=True):
            super().flash(shortened(msg), queue, allow_duplicate)
            storage = dict.get(self, FLASH_PREFIX + queue)
            if storage is not None and len(storage) > MAX_FLASH_MESSAGES:
                del storage[:-MAX_FLASH_MESSAGES]  # the newest stay; nobody has seen the old ones anyway

        def _set_cookie(self, response):
            try:
                return super()._set_cookie(response)
            except (ValueError, TypeError) as exc:  # too long for a cookie, or not serializable
                problem = type(exc).__name__
            for key in [k for k in dict.keys(self) if k.startswith(FLASH_PREFIX)]:
                dict.pop(self, key)
            try:
                return super()._set_cookie(response)
            except (ValueError, TypeError):
                # Never seen with the bounds above; a response already committed must still go out.
                log.error("session: could not be stored in its cookie (%s); the session was ended", problem)
                dict.clear(self)
                return super()._set_cookie(response)

    return BoundedSession


def includeme(config):
    settings = config.get_settings()
    secret = settings["portal.session_secret"]
    factory = SignedCookieSessionFactory(
        secret,
        cookie_name="portal_session",
        secure=asbool(settings.get("portal.session_secure", False)),
        httponly=True,
        samesite="Lax",
        max_age=None,  # a browser session; the staff side also times out below
        timeout=int(settings.get("portal.session_timeout", 8 * 3600)),
        reissue_time=300,
        serializer=CompactJSONSerializer(),
    )
    config.set_session_factory(bounded(factory))
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every unsafe method needs the token, on every form, public or staff.
    config.set_default_csrf_options(require_csrf=True)
