"""Requests as phones, SMS gateways and other sites really send them: not always UTF-8. A GBK-encoded
link (common on Chinese sites and in SMS), a form posted in GBK or declared as latin-1, or a cut-off
character would make a route fail while decoding the query, the path or the form, before any page
could be rendered (the error page included): an alarm sent from such a page would be lost.

This WSGI layer, outermost, makes the path, each query token and each token of an ordinary
(urlencoded) form body valid UTF-8 first: bytes in a declared charset are read in it; otherwise bytes
that are valid GB18030 are read as that (so a GBK search term still searches); anything else gets the
replacement character; NUL is dropped (PostgreSQL text cannot hold it). The request then goes on as
an ordinary one: a page, a clear 4xx, or a 404. Bodies larger than an ordinary form are left for the
portal to refuse (413), unread here."""
import codecs
import io
import re
from urllib.parse import quote, unquote_to_bytes

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_FORM_BYTES = 256 * 1024  # portal.max_form_bytes' default: larger bodies are refused later, unread

_TOKEN = re.compile(r"[^&=;]+")


def _text(raw: bytes, charset: str | None = None) -> str | None:
    """None when `raw` is already UTF-8 without NUL (and no other charset was declared); else the text
    it most likely means, without NUL: no text field has a use for it, and PostgreSQL refuses it."""
    if charset is not None:
        return raw.decode(charset, errors="replace").replace("\x00", "")
    try:
        text = raw.decode("utf-8")
        return text.replace("\x00", "") if "\x00" in text else None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030").replace("\x00", "")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace").replace("\x00", "")


def _token(match, charset=None) -> str:
    token = match.group(0)
    text = _text(unquote_to_bytes(token.encode("latin-1", errors="replace")), charset)
    # "+" stays a "+" (a space in a form's query); "&", "=" and ";" inside the text are escaped.
    return token if text is None else quote(text.encode("utf-8"), safe="+")


def utf8_query(query: str, charset: str | None = None) -> str:
    """The query string (WSGI: its bytes as latin-1) with every key and value valid UTF-8; tokens are
    read in `charset` when the sender declared one other than UTF-8."""
    if not query or (charset is None and query.isascii() and "%" not in query and "\x00" not in query):
        return query
    return _TOKEN.sub(lambda match: _token(match, charset), query)


def _declared_charset(content_type: str, any_known: bool = False) -> str | None:
    """The charset a form declares, when it is a known one other than UTF-8 (or, with `any_known`,
    any charset parameter at all: one WebOb does not know trips it too)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            try:
                codec = codecs.lookup(value.strip().strip('"'))
            except LookupError:
                return value or "unknown" if any_known else None
            return None if codec.name == "utf-8" and not any_known else codec.name
    return None


def utf8_form(environ, max_bytes: int = MAX_FORM_BYTES) -> None:
    """An ordinary form body (at most `max_bytes`) made valid UTF-8 in place, declared as UTF-8. WebOb
    raises (a 500) on reading any form declared in another charset, so no form keeps its charset:
    multipart parts are read as UTF-8 (a browser never declares a charset there: RFC 7578, 4.5)."""
    content_type = environ.get("CONTENT_TYPE", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == MULTIPART and _declared_charset(content_type, any_known=True):
        environ["CONTENT_TYPE"] = ";".join(p for p in content_type.split(";")
                                           if p.strip().partition("=")[0].strip().lower() != "charset")
        return
    if kind != FORM:
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length <= 0:
        environ["CONTENT_TYPE"] = FORM  # nothing to read: no charset to trip on either
        return
    if length > max_bytes:
        return
    body = environ["wsgi.input"].read(length)
    charset = _declared_charset(content_type)
    fixed = utf8_query(body.decode("latin-1"), charset).encode("latin-1")
    environ["wsgi.input"] = io.BytesIO(fixed)
    environ["CONTENT_LENGTH"] = str(len(fixed))
    environ["CONTENT_TYPE"] = FORM


def utf8_path(path: str) -> str:
    """PATH_INFO (WSGI: the decoded bytes as latin-1) as valid UTF-8 bytes, as latin-1 again."""
    raw = path.encode("latin-1", errors="replace")
    text = _text(raw)
    return path if text is None else text.encode("utf-8").decode("latin-1")


class Utf8Requests:
    """The WSGI application behind it, reached with valid UTF-8 URLs and form bodies (its registry
    stays at hand)."""

    def __init__(self, app):
        self.app = app
        self.registry = app.registry
        self.max_form_bytes = int(app.registry.settings.get("portal.max_form_bytes", MAX_FORM_BYTES))

    def __call__(self, environ, start_response):
        environ["QUERY_STRING"] = utf8_query(environ.get("QUERY_STRING", ""))
        environ["PATH_INFO"] = utf8_path(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") == "POST":
            utf8_form(environ, self.max_form_bytes)
        return self.app(environ, start_response)


def wrap(app):
    return Utf8Requests(app)
