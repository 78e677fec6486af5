"""Response headers and template globals shared by every page."""
import re
from email.message import Message
from urllib.parse import urlsplit

from markupsafe import Markup
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, NewRequest, NewResponse
from pyramid.httpexceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from translationstring import TranslationString

from portal.core.fallbacks import Fallbacks
from portal.core.i18n import LANGUAGES, Labels, Translated, TranslatedTuple
from portal.core.resources import navigation_context

BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tiles}; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


# Camera and microphone only on the pages of a call (the caller's alarm page, the dispatcher's alarm
# page): a view that needs them sets request.allows_camera (see allow_camera).
NO_CAMERA = "camera=(), microphone=(), geolocation=(self)"
WITH_CAMERA = "camera=(self), microphone=(self), geolocation=(self)"


def tile_origin(template: str, setting: str = "portal.map.tiles") -> str:
    """The CSP source of a map tile URL template ("" for the portal's own tiles): its scheme and host,
    a {s} subdomain in the first label becoming CSP's wildcard ("https://t{s}.x.cn/..." -> "https://*.x.cn")."""
    if not template.strip():
        return ""
    parts = urlsplit(template.strip())
    host = parts.netloc
    if parts.scheme not in ("https", "http") or not host or "@" in host or "/" in host:
        raise ValueError(f"{setting} is not an http(s) URL template: {template!r}")
    first, _dot, rest = host.partition(".")
    if "{" in first and rest and "{" not in rest:
        host = "*." + rest
    if not re.fullmatch(r"(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?", host):
        raise ValueError(f"{setting} has a host CSP cannot name: {template!r}")
    return f"{parts.scheme}://{host}"


def allow_camera(request) -> None:
    request.allows_camera = True


def _made_headers(embeddable: bool, camera: bool, ancestors: str, tiles: str, secure) -> tuple[tuple[str, str], ...]:
    csp = BASE_CSP.format(ancestors=ancestors if embeddable else "'none'", tiles=" " + tiles if tiles else "")
    headers = [("Content-Security-Policy", csp), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin"), ("Permissions-Policy", WITH_CAMERA if camera else NO_CAMERA)]
    if not embeddable:
        headers.append(("X-Frame-Options", "DENY"))
    if secure in ("true", "True", True):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return tuple(headers)


class SecurityHeaders:
    """The headers every answer carries (unless its view set its own): made once per kind of page
    (embeddable or not, with the camera or not) and the settings they come from, not formatted and
    looked up anew per answer."""

    def __init__(self):
        self._made = {}

    def __call__(self, event):
        request, response = event.request, event.response
        path = request.path_info  # below the mount point, as the routes are
        settings = request.registry.settings
        key = (path.startswith("/embed/"), getattr(request, "allows_camera", False),
               settings["portal.embed_frame_ancestors"], request.registry.get("map_tile_origin", ""),
               settings.get("portal.session_secure"))
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= 64:  # the settings changed many times (tests): start again
                self._made.clear()
            made = self._made[key] = _made_headers(*key)
        headerlist = response.headerlist
        present = {name.lower() for name, _value in headerlist}
        for name, value in made:
            if name.lower() not in present:
                headerlist.append((name, value))
        if path.startswith(("/staff", "/login")):
            # Staff pages carry personal data: never cache them anywhere.
            response.headers["Cache-Control"] = "no-store"


# Forms that take files, with their own body limit: WebOb spools the files to disk, never to memory.
UPLOAD_PATHS = (
    (re.compile(r"/notices/\d+/sightings/new"), 16 * 1024 * 1024),  # one photo of up to 15 MB
    (re.compile(r"/missing/new"), 122 * 1024 * 1024),  # eight photos of up to 15 MB each
    (re.compile(r"/trips/(new|[A-Za-z0-9_-]{43}/photos)"), 61 * 1024 * 1024),  # four photos of up to 15 MB each
    (re.compile(r"/alarm/[A-Za-z0-9_-]{43}/photos"), 16 * 1024 * 1024),  # one photo of up to 15 MB
    # Tip files stream to disk as they arrive (services/upload_stream.py): sized from the settings.
    (re.compile(r"/tips/new|/status/reply"), "portal.tip.max_total_mb"),
    # Resumable uploads arrive in chunks (media/resumable), raw bytes.
    (re.compile(r"/uploads/[A-Za-z0-9_-]{43}"), "portal.upload.resumable_chunk_mb"),
    # A call's recording arrives in chunks of a few seconds each (calls/recording.py), raw bytes.
    (re.compile(r"/alarm/[A-Za-z0-9_-]{43}/call/recording/\d{1,10}/chunks/\d{1,6}"),
     "portal.call.recording_chunk_mb"),
)


def limit_form_size(event):
    """Ordinary forms are small: refuse a huge body before anything parses it. Upload routes,
    which stream to disk, declare their own limit in UPLOAD_PATHS."""
    request = event.request
    if not request.content_length:  # no body (a GET): nothing to refuse, skip the paths' patterns
        return
    limit = int(request.registry.settings["portal.max_form_bytes"])
    limit = next((size for path, size in UPLOAD_PATHS if path.fullmatch(request.path)), limit)
    if isinstance(limit, str):  # a setting in MB (upload_stream keeps such forms without files small)
        limit = int(float(request.registry.settings[limit]) * 1024 * 1024)
    if request.content_length > limit:
        raise HTTPRequestEntityTooLarge()


# What a view returns that holds no TranslationString: left as it is without further checks.
_LEAVES = frozenset({str, Markup, int, float, bool, type(None), Translated, TranslatedTuple})


def localize(value, localizer):
    """Translate TranslationStrings inside what a view returns (headings, messages, labels)."""
    if type(value) in _LEAVES:
        return value
    if isinstance(value, TranslationString):
        return localizer.translate(value)
    if type(value) is Labels:
        return value.translated(localizer)
    if isinstance(value, dict):
        return {k: localize(v, localizer) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(localize(v, localizer) for v in value)
    return value


# RFC 2046's boundary, as WebOb (the cgi module) checks it: 1 to 70 (it allows 200) printable characters.
_BOUNDARY = re.compile(r"[ -~]{0,200}[!-~]")


def refuse_unsplittable_form(event):
    """A multipart form without a usable boundary cannot be split into its fields: whatever read the form
    first (the CSRF check, a view) would fail with WebOb's ValueError, a 500. It is a 400 page instead."""
    request = event.request
    if request.method != "POST" or request.content_type != "multipart/form-data":
        return
    header = Message()
    header["Content-Type"] = request.headers.get("Content-Type", "")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not _BOUNDARY.fullmatch(boundary):
        raise HTTPBadRequest()


def template_globals(event):
    request = event.get("request")
    if request is None:
        return
    values = event.rendering_val
    if isinstance(values, dict):  # what the view returned: translate its messages in place
        localizer = request.localizer
        for key, value in values.items():
            if type(value) not in _LEAVES:
                values[key] = localize(value, localizer)
    locale = request.locale_name
    event.setdefault("fallback", request.registry["fallbacks"])
    event.setdefault("languages", LANGUAGES)
    event.setdefault("locale", locale)
    event.setdefault("lang", LANGUAGES.get(locale, LANGUAGES["zh_CN"]))
    event.setdefault("officer", _safe_identity(request))
    event.setdefault("get_csrf_token", lambda: get_csrf_token(request))
    # Staff navigation asks about role permissions, whatever the page's own context is.
    event.setdefault("can", lambda permission: request.has_permission(permission,
                                                                      navigation_context(request, permission)))


def _safe_identity(request):
    """Error pages render even when the database is down: treat that as signed out."""
    try:
        return request.identity
    except Exception:
        return None


def includeme(config):
    config.registry["fallbacks"] = Fallbacks.from_settings(config.get_settings())
    settings = config.get_settings()
    # The tile service and its layer of names (Tianditu's vec_w and cva_w), in the CSP's img-src.
    names = ("portal.map.tiles", "portal.map.labels")
    origins = dict.fromkeys(tile_origin(settings.get(name, ""), name) for name in names)
    config.registry["map_tile_origin"] = " ".join(origin for origin in origins if origin)
    config.add_subscriber(SecurityHeaders(), NewResponse)
    config.add_subscriber(limit_form_size, NewRequest)
    config.add_subscriber(refuse_unsplittable_form, NewRequest)
    config.add_subscriber(template_globals, BeforeRender)
