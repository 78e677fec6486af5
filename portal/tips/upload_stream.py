"""Tip forms with files, parsed as they stream in: never a whole file or body in memory.

For multipart POSTs to /tips/new and /status/reply a tween reads `wsgi.input` in chunks through the
`multipart` package's push parser, before Pyramid or WebOb touch the body. Text fields go into a
MultiDict (bounded by portal.max_form_bytes); each file part goes into its own temp file in this
process's incoming directory (media/incoming.py: on the media store's disk, so storing it later is a
rename; whatever a killed process leaves there is removed at the next start) and is hashed on the
way. The result is handed to WebOb as the already-parsed POST, so CSRF checks, Deform and
`uploads.chosen_files` work unchanged.

Before any of the body is read, every POST counts one attempt against the address
(portal.tip.upload_rate_per_hour, accepted or not): over it the body is refused unread (429). Only
the file inputs (`attachments`) may carry files: a file part under any other name (csrf_token,
code...) is a malformed form. Limits (portal.tip.*) apply while reading: a declared body over the
total is refused before any of it is read; a file is refused the moment it passes the limit for its
kind (known from its first bytes) or when one file too many starts; a body cut short, broken
multipart, text fields over their bound or a disk that cannot take the file (full, unwritable) are
refused too. Reading stops there and every file written is deleted; the text fields read so far stay
in request.POST (up to any Deform mapping left open) and `refusal(request)` tells the view why, with
a `status` for the response. Temp files are removed when the request finishes (moved ones are
already in the store).

pyramid_retry would copy the whole body before any tween runs (to replay it): retries are turned off
for these requests (`retry_attempts`), the only ones that cannot be replayed."""
import hashlib
import logging
import os
import tempfile

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header
from pyramid.tweens import INGRESS
from webob.multidict import MultiDict

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.core.i18n import _
from portal.media import sniff
from portal.media.uploads import UploadRefused
from portal.tips.media import AttachmentLimits, attachment_limits, too_large, too_many, too_much

log = logging.getLogger(__name__)

STREAMED_PATHS = frozenset({"/tips/new", "/status/reply"})
RATE_SETTING = "portal.tip.upload_rate_per_hour"
FILE_FIELDS = frozenset({"attachments"})  # the only inputs of those forms that carry files
CHUNK = 64 * 1024
MAX_TEXT_FIELDS = 500  # parts without a file: far more than any tip form has
REFUSAL_KEY = "portal.upload_refusal"
UNREAD_KEY = "portal.upload_refused_unread"  # set when the refusal came before any of the body was read


class StreamedFile:
    """One file part on disk: what WebOb's FieldStorage offers to forms (`filename`, `file`, `type`,
    `length`), plus `size`, `sha256` and `path` for storing it by a rename."""

    def __init__(self, name: str, filename: str, content_type: str | None, path: str, file):
        self.name = name
        self.filename = filename
        self.type = content_type or "application/octet-stream"  # the browser's claim: never trusted
        self.path = path
        self.file = file
        self.size = 0
        self.sha256 = None
        self.headers = {}

    @property
    def length(self) -> int:  # deform.widget.FileUploadWidget reads this
        return self.size

    def __repr__(self):  # no file name in logs or error reports
        return f"<StreamedFile {self.name} {self.size} bytes>"

    def discard(self):
        try:
            self.file.close()  # flushes: fails again on a full disk
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except FileNotFoundError:  # moved into the media store
            pass
        except OSError as exc:  # left for the sweeps (media/incoming.py)
            log.error("could not remove an upload's temp file: %s", type(exc).__name__)


class _Refused(Exception):
    def __init__(self, refusal: UploadRefused):
        super().__init__(str(refusal))
        self.refusal = refusal


def interrupted() -> UploadRefused:
    return UploadRefused(_("The upload was interrupted before it finished. Nothing was saved; please send "
                           "the form again."))


def not_stored() -> UploadRefused:
    return UploadRefused(_("The files could not be stored. Nothing was saved; please try again."))


def too_often(retry_after: int) -> UploadRefused:
    refused = UploadRefused(_("Many forms have been sent from this address. Nothing was sent. Please wait ${minutes} "
                              "minutes and send it again, or call the police.",
                              mapping={"minutes": max(1, (retry_after + 59) // 60)}), status=429)
    refused.retry_after = retry_after  # for the Retry-After header
    return refused


def malformed() -> UploadRefused:
    return UploadRefused(_("The form could not be read. Nothing was saved; please send it again."))


def text_too_long() -> UploadRefused:
    return UploadRefused(_("The text you typed is too long."))


def _balanced(form: MultiDict) -> MultiDict:
    """The fields before any Deform mapping or sequence a refusal left open (a `__start__` without
    its `__end__`): the form is shown again from them, and peppercorn refuses unbalanced markers."""
    items, depth, keep = list(form.items()), 0, 0
    for index, (name, _value) in enumerate(items):
        depth += {"__start__": 1, "__end__": -1}.get(name, 0)
        if depth < 0:
            break
        if depth == 0:
            keep = index + 1
    return form if keep == len(items) else MultiDict(items[:keep])


class FormStream:
    """Parses one multipart body from a blocking `read(size)`; see the module docstring."""

    def __init__(self, boundary: str, content_length: int | None, limits: AttachmentLimits, max_text_bytes: int,
                 incoming: str, file_fields: frozenset = FILE_FIELDS):
        self.limits = limits
        self.file_fields = file_fields
        self.max_text_bytes = max_text_bytes
        self.incoming = incoming
        self.content_length = content_length
        self.parser = PushMultipartParser(boundary, content_length if content_length is not None else -1,
                                          max_segment_count=limits.max_files + MAX_TEXT_FIELDS)
        self.form = MultiDict()
        self.files: list[StreamedFile] = []
        self.text_bytes = 0
        self.file_bytes = 0
        self.body_bytes = 0
        # The part being read: (segment, StreamedFile or None, text buffer, hash, head, limit)
        self.segment = None
        self.current = None
        self.text = None
        self.digest = None
        self.head = b""
        self.limit = None

    # The loop -------------------------------------------------------------------------------------

    def run(self, read) -> UploadRefused | None:
        """Read and parse the whole body; on refusal stop reading and delete every file written."""
        try:
            self._read_all(read)
            return None
        except _Refused as refused:
            self.discard_files()
            self.form = _balanced(self.form)
            return refused.refusal
        except BaseException:
            self.discard_files()
            raise

    def _read_all(self, read):
        remaining = self.content_length
        while True:
            want = CHUNK if remaining is None else min(CHUNK, remaining)
            try:
                chunk = read(want) if want else b""
            except (OSError, ValueError) as exc:  # the client went away (waitress, webob raise these)
                log.info("upload interrupted: %s", type(exc).__name__)
                raise _Refused(interrupted()) from None
            if remaining is not None:
                remaining -= len(chunk)
            self.body_bytes += len(chunk)
            if remaining is None and self.body_bytes > self.limits.max_total_bytes:
                raise _Refused(too_much(self.limits))
            if not chunk:
                self._finish(cut_short=remaining is None or remaining > 0)
                return
            try:
                for event in self.parser.parse(chunk):
                    self._on(event)
            except MultipartError:
                raise _Refused(malformed()) from None
            except OSError as exc:  # the temp file: disk full, directory gone or unwritable
                log.error("an upload could not be written: %s (errno %s)", type(exc).__name__, exc.errno)
                raise _Refused(not_stored()) from None
            if self.parser.closed:  # the closing boundary: anything after it is ignored
                return

    def _finish(self, cut_short: bool):
        try:
            self.parser.close(check_complete=True)
        except MultipartError:
            raise _Refused(interrupted() if cut_short else malformed()) from None

    def _on(self, event):
        if isinstance(event, MultipartSegment):
            self._start(event)
        elif event is None:
            self._end()
        elif self.current is not None:
            self._file_data(event)
        else:
            self._text_data(event)

    # Parts ----------------------------------------------------------------------------------------

    def _start(self, segment: MultipartSegment):
        self.segment = segment
        if not segment.filename:  # a text field, or a file input with nothing chosen
            self.current, self.text = None, []
            return
        if segment.name not in self.file_fields:  # no browser sends the token or a code as a file
            raise _Refused(malformed())
        if len(self.files) >= self.limits.max_files:
            raise _Refused(too_many(self.limits))
        fd, path = tempfile.mkstemp(dir=self.incoming, prefix="part-")
        upload = StreamedFile(segment.name, segment.filename, segment.content_type, path, os.fdopen(fd, "w+b"))
        self.files.append(upload)
        self.current, self.digest, self.head, self.limit = upload, hashlib.sha256(), b"", None

    def _file_data(self, chunk: bytes):
        upload = self.current
        upload.size += len(chunk)
        self.file_bytes += len(chunk)
        if self.limit is None and len(self.head) < sniff.HEAD_BYTES:
            self.head += chunk[:sniff.HEAD_BYTES - len(self.head)]
            if len(self.head) >= sniff.HEAD_BYTES:
                self._learn_kind()
        if upload.size > (self.limit or self.limits.largest_file):
            raise _Refused(too_large(upload.filename, self.limit or self.limits.largest_file))
        if self.file_bytes > self.limits.max_total_bytes:
            raise _Refused(too_much(self.limits))
        self.digest.update(chunk)
        upload.file.write(chunk)

    def _learn_kind(self):
        """The first bytes tell the kind, hence the limit; a file no format accepts stops here."""
        fmt = sniff.identify_head(self.head)
        if fmt is None:
            raise _Refused(sniff.refusal(self.head, self.current.filename))
        self.limit = self.limits.max_bytes[fmt.kind]

    def _text_data(self, chunk: bytes):
        self.text_bytes += len(chunk)
        if self.text_bytes > self.max_text_bytes:
            raise _Refused(text_too_long())
        self.text.append(chunk)

    def _end(self):
        segment, upload = self.segment, self.current
        if upload is None:
            value = b"".join(self.text).decode(segment.charset or "utf-8", errors="replace")
            self.form.add(segment.name, value)
        else:
            if self.limit is None and upload.size:  # a file shorter than the head we look at
                self._learn_kind()
            upload.sha256 = self.digest.hexdigest()
            upload.file.flush()
            upload.file.seek(0)
            self.form.add(segment.name, upload)
        self.segment = self.current = self.text = self.digest = None

    def discard_files(self):
        for upload in self.files:
            upload.discard()
        # The text fields stay, for the form shown again.
        self.form = MultiDict([(k, v) for k, v in self.form.items() if not isinstance(v, StreamedFile)])
        self.files = []


# Pyramid wiring -----------------------------------------------------------------------------------

def refusal(request) -> UploadRefused | None:
    """Why the streamed body was refused (None: it was not, or it was not streamed)."""
    return request.environ.get(REFUSAL_KEY)


def refused_unread(request) -> UploadRefused | None:
    """The refusal of a body none of which was read (too many posts from the address, a declared
    length over the limit, no usable boundary): nothing of the form, not even its code, is known."""
    return request.environ.get(REFUSAL_KEY) if request.environ.get(UNREAD_KEY) else None


def is_streamed(request) -> bool:
    return request.method == "POST" and request.path_info in STREAMED_PATHS


def refuse_unread(request, refused: UploadRefused):
    """Refuse a streamed request without reading any of its body: the view sees an empty form."""
    request.environ[REFUSAL_KEY] = refused
    request.environ[UNREAD_KEY] = True
    request.environ["webob._parsed_post_vars"] = (MultiDict(), request.body_file_raw)


def parse_request(request, limits: AttachmentLimits, max_text_bytes: int, incoming: str) -> FormStream | None:
    """Parse the body of a streamed request into request.POST; record a refusal in the environ."""
    environ = request.environ
    content_type, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    length = request.content_length
    if content_type != "multipart/form-data":
        # An ordinary form (no files): WebOb parses it, in memory, so it must stay small.
        if length is not None and length > max_text_bytes:
            # Refused unread, as the view's answer: this tween sits above the exception views, so a
            # raised 413 here left the portal as a bare 500 of the server.
            refuse_unread(request, UploadRefused(text_too_long().message, 413))
        return None
    body = request.body_file_raw
    try:
        stream = FormStream(options.get("boundary", ""), length, limits, max_text_bytes, incoming)
    except MultipartError:  # no usable boundary: nothing can be read
        refuse_unread(request, malformed())
        return None
    if length is not None and length > limits.max_total_bytes:
        environ[REFUSAL_KEY], environ[UNREAD_KEY] = too_much(limits), True  # refused before reading a byte
    else:
        if request.is_body_seekable:
            body.seek(0)
        refused = stream.run(body.read)
        if refused is not None:
            environ[REFUSAL_KEY] = refused
    # WebOb keeps a parsed POST with the stream it came from: request.POST returns it from now on.
    environ["webob._parsed_post_vars"] = (stream.form, body)
    return stream


def tween_factory(handler, registry):
    settings = registry.settings
    limits = attachment_limits(settings)
    max_text_bytes = int(settings["portal.max_form_bytes"])
    incoming = registry["media_store"].incoming_dir()

    def upload_stream_tween(request):
        if not is_streamed(request):
            return handler(request)
        try:  # counted before a byte is read: a refused or never-finished upload costs as much
            count_per_hour(request, "upload", RATE_SETTING)
        except RateLimited as exc:
            refuse_unread(request, too_often(exc.retry_after))
            return handler(request)
        stream = parse_request(request, limits, max_text_bytes, incoming)
        if stream is not None and stream.files:
            files = list(stream.files)
            request.add_finished_callback(lambda _request: [upload.discard() for upload in files])
        return handler(request)

    return upload_stream_tween


def retry_attempts(request, previous=None):
    """pyramid_retry's activate hook: no replay (hence no copy of the body) for streamed forms."""
    if is_streamed(request):
        return 1
    return previous(request) if previous is not None else None


def includeme(config):
    settings = config.get_settings()
    config.add_tween("portal.tips.upload_stream.tween_factory", under=INGRESS)
    # pyramid_retry reads this when the configuration is committed, after every include.
    previous = config.maybe_dotted(settings.get("retry.activate_hook"))
    settings["retry.activate_hook"] = (
        (lambda request: retry_attempts(request, previous)) if previous is not None else retry_attempts
    )
