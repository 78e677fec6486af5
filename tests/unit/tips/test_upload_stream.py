"""Tip forms parsed as they stream in: files to temp files in chunks, limits applied while reading
(the rest of the body is never read), text fields kept for the form shown again, nothing left on disk."""
import hashlib
import io
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from pyramid.interfaces import ITweens
from pyramid.request import Request
from webob.multidict import MultiDict

from portal.abuse.ratelimit import MemoryRateLimiter
from portal.media.uploads import chosen_files
from portal.tips import upload_stream
from portal.tips.media import MB, AttachmentLimits
from tests import media_samples as m
from tests.functional.test_tip_form import areas, category, fill, form_of, send  # noqa: F401 (fixtures)
from tests.images import png

LIMITS = AttachmentLimits(max_files=3, max_bytes={"image": 1 * MB, "video": 3 * MB, "audio": 2 * MB},
                          max_total_bytes=5 * MB, old_capture=timedelta(hours=24))
TEXT_LIMIT = 64 * 1024
SETTINGS = {"portal.max_form_bytes": str(TEXT_LIMIT), "portal.tip.max_files": "3", "portal.tip.max_photo_mb": "1",
            "portal.tip.max_video_mb": "3", "portal.tip.max_audio_mb": "2", "portal.tip.max_total_mb": "5",
            "portal.tip.old_capture_hours": "24", "portal.tip.upload_rate_per_hour": "30"}


class CountingInput:
    """wsgi.input that counts what the application read; optionally breaks off after `cut` bytes."""

    def __init__(self, chunks, cut=None, error=None):
        self.chunks = iter(chunks)
        self.buffer = b""
        self.read_bytes = 0
        self.cut = cut
        self.error = error

    def read(self, size=-1):
        while len(self.buffer) < size or size < 0:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        data, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        if self.cut is not None and self.read_bytes + len(data) > self.cut:
            if self.error:
                raise self.error
            data = data[:self.cut - self.read_bytes]
        self.read_bytes += len(data)
        return data


def big_chunks(head: bytes, total: int, chunk=256 * 1024):
    yield head
    left = total - len(head)
    while left > 0:
        yield bytes(min(chunk, left))
        left -= chunk


@pytest.fixture
def incoming(tmp_path):
    path = tmp_path / ".incoming"
    path.mkdir()
    return str(path)


def parse(parts, incoming, length="auto", cut=None, error=None, body=None, limits=LIMITS):
    chunks = [body] if body is not None else list(m.multipart_chunks(parts))
    if length == "auto":
        length = sum(len(c) for c in chunks)
    source = CountingInput(chunks, cut=cut, error=error)
    stream = upload_stream.FormStream(m.BOUNDARY, length, limits, TEXT_LIMIT, incoming)
    refusal = stream.run(source.read)
    return stream, refusal, source


def message(refusal) -> str:
    return refusal.message.interpolate()


def test_text_and_files_arrive_as_webob_would_give_them(incoming):
    photo, video = png((30, 20)), m.mp4()
    stream, refusal, _source = parse([("csrf_token", "tok"), ("description", "Lorry dumping oil, 小河"),
                                      ("attachments", "a.png", photo, "image/png"),
                                      ("attachments", "b.mp4", video, "video/mp4"),
                                      ("attachments", "", b"")], incoming)
    assert refusal is None
    form = stream.form
    assert form["csrf_token"] == "tok" and form["description"] == "Lorry dumping oil, 小河"
    files = chosen_files(SimpleNamespace(POST=form), "attachments")  # the empty third input is left out
    assert [(f.filename, f.type, f.size, f.length) for f in files] == [
        ("a.png", "image/png", len(photo), len(photo)), ("b.mp4", "video/mp4", len(video), len(video))]
    assert files[0].file.read() == photo and files[1].file.read() == video
    assert files[1].sha256 == hashlib.sha256(video).hexdigest()
    assert sorted(os.listdir(incoming)) == sorted(os.path.basename(f.path) for f in files)
    for f in files:
        f.discard()
    assert os.listdir(incoming) == []


def test_a_photo_over_its_limit_is_refused_before_the_rest_is_read(incoming):
    jpeg = m.jpeg_taken(None)
    parts = [("description", "kept"), ("attachments", "big.jpg", big_chunks(jpeg, 20 * MB)),
             ("after", "never read")]
    stream, refusal, source = parse(parts, incoming, length=30 * MB)
    assert "big.jpg is larger than 1 MB" in message(refusal)
    assert source.read_bytes < 1 * MB + 2 * upload_stream.CHUNK  # stopped at the limit, not at 20 MB
    assert stream.form == MultiDict([("description", "kept")])  # what was typed before the file stays
    assert os.listdir(incoming) == []


def test_limits_follow_the_kind_the_first_bytes_show(incoming):
    # 2 MB: over the photo limit, under the video limit.
    video = list(m.mp4_stream(2 * MB))
    stream, refusal, _ = parse([("attachments", "clip.mp4", video)], incoming)
    assert refusal is None and stream.files[0].size == 2 * MB
    stream.discard_files()
    audio = [m.wav()[:44], bytes(3 * MB)]
    _, refusal, source = parse([("attachments", "long.wav", audio)], incoming)
    assert "long.wav is larger than 2 MB" in message(refusal)
    assert source.read_bytes < 2 * MB + 2 * upload_stream.CHUNK


def test_a_file_of_no_accepted_type_stops_the_upload_at_its_first_bytes(incoming):
    fake = big_chunks(m.windows_exe(), 4 * MB)
    stream, refusal, source = parse([("note", "x"), ("attachments", "cat.jpg", fake)], incoming, length=5 * MB)
    assert "cat.jpg is not a photo, video or sound recording" in message(refusal)
    assert source.read_bytes <= 2 * upload_stream.CHUNK
    assert stream.form["note"] == "x" and os.listdir(incoming) == []


def test_one_file_too_many_is_refused_when_it_starts(incoming):
    photo = png()
    parts = [("attachments", f"{n}.png", photo) for n in range(4)] + [("tail", "t")]
    body = m.multipart_body(parts)
    fourth = body.index(b'filename="3.png"')
    stream, refusal, source = parse(parts, incoming)
    assert "At most 3 files" in message(refusal)
    assert source.read_bytes < fourth + 2 * upload_stream.CHUNK
    assert "tail" not in stream.form and os.listdir(incoming) == []


def test_a_declared_body_over_the_total_is_refused_unread(incoming):
    stream, refusal, source = parse([("attachments", "a.png", png())], incoming, length=5 * MB + 1)
    assert refusal is None  # FormStream is not even run: parse_request decides first (below)
    request = _request(CountingInput([b"x" * 100]), 5 * MB + 1)
    upload_stream.parse_request(request, LIMITS, TEXT_LIMIT, incoming)
    assert "All files together must be smaller than 5 MB" in message(upload_stream.refusal(request))
    assert request.environ["wsgi.input"].read_bytes == 0
    assert request.POST == MultiDict()


def test_the_total_counts_when_no_length_is_declared(incoming):
    # Chunked bodies state no Content-Length: the total is counted while reading.
    parts = [("attachments", "a.mp4", list(m.mp4_stream(3 * MB))), ("attachments", "b.mp4", list(m.mp4_stream(3 * MB)))]
    _, refusal, source = parse(parts, incoming, length=None)
    assert "All files together" in message(refusal)
    assert source.read_bytes < 5 * MB + 2 * upload_stream.CHUNK
    assert os.listdir(incoming) == []


@pytest.mark.parametrize("cut,error", [(3000, None), (3000, OSError("client went away")), (50, None)])
def test_an_interrupted_upload_is_refused_and_leaves_nothing(incoming, cut, error):
    parts = [("description", "typed"), ("attachments", "a.mp4", m.mp4(bytes(20000)))]
    stream, refusal, _ = parse(parts, incoming, cut=cut, error=error)
    assert "The upload was interrupted" in message(refusal)
    assert os.listdir(incoming) == [] and stream.files == []


@pytest.mark.parametrize("body", [
    b"this is not multipart at all",
    b"--" + m.BOUNDARY.encode() + b"\r\nContent-Disposition: attachment\r\n\r\nx\r\n--" + m.BOUNDARY.encode() + b"--\r\n",
    m.multipart_body([("a", "b")])[:-4] + b"xx\r\n",  # the closing boundary is mangled
])
def test_malformed_multipart_is_refused(incoming, body):
    _, refusal, _ = parse(None, incoming, body=body)
    assert "The form could not be read" in message(refusal)
    assert os.listdir(incoming) == []


def test_text_fields_are_bounded(incoming):
    _, refusal, _ = parse([("description", "x" * (TEXT_LIMIT + 1))], incoming)
    assert "too long" in message(refusal)


# The tween and the request ----------------------------------------------------------------------------

def _request(body, length, path="/tips/new", content_type=m.CONTENT_TYPE, registry=None, limiter=None):
    """A request as the tween sees it (registry and rate limiter are set by the router before tweens)."""
    request = Request.blank(path, method="POST")
    request.environ.update({"wsgi.input": body, "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(length)})
    if registry is not None:
        request.registry = registry
        request.rate_limiter = limiter or MemoryRateLimiter()
    return request


class _Registry(dict):
    settings: dict


def _registry(incoming):
    """Settings, and a media store whose directory for files being written is `incoming`."""
    registry = _Registry(media_store=SimpleNamespace(incoming_dir=lambda: incoming))
    registry.settings = {**SETTINGS, "portal.media_dir": os.path.dirname(incoming)}
    return registry


def test_the_tween_hands_webob_the_parsed_form_and_cleans_up(incoming):
    body = m.multipart_body([("csrf_token", "tok"), ("attachments", "a.png", png())])
    registry = _registry(incoming)
    request = _request(io.BytesIO(body), len(body), registry=registry)
    seen = {}

    def handler(req):
        seen["files"] = chosen_files(req, "attachments")
        seen["token"] = req.POST["csrf_token"]
        seen["params"] = req.params["csrf_token"]
        seen["exists"] = os.path.exists(seen["files"][0].path)
        return "response"

    assert upload_stream.tween_factory(handler, registry)(request) == "response"
    assert seen["token"] == seen["params"] == "tok" and seen["exists"]
    assert upload_stream.refusal(request) is None
    request._process_finished_callbacks()  # the request is done: its temp files go
    assert os.listdir(incoming) == []


def test_other_paths_and_ordinary_forms_are_left_to_webob(incoming):
    registry = _registry(incoming)
    tween = upload_stream.tween_factory(lambda req: req.POST.get("a"), registry)
    body = m.multipart_body([("a", "b")])
    assert tween(_request(io.BytesIO(body), len(body), path="/missing/new", registry=registry)) == "b"
    small = _request(io.BytesIO(b"a=c"), 3, content_type="application/x-www-form-urlencoded", registry=registry)
    assert tween(small) == "c"
    # No files, so no reason to be large: refused unread, as the view's answer (a 413 raised here, above
    # the exception views, left the application as a bare 500).
    large = _request(io.BytesIO(b"a=" + b"c" * TEXT_LIMIT), TEXT_LIMIT + 2,
                     content_type="application/x-www-form-urlencoded", registry=registry)
    assert tween(large) is None and upload_stream.refusal(large).status == 413


def test_the_app_streams_tip_forms_without_retries(app):
    tweens = app.registry.queryUtility(ITweens)
    names = [name for name, _factory in tweens.implicit()]
    assert "portal.tips.upload_stream.tween_factory" in names
    hook = app.registry.settings["retry.activate_hook"]
    assert hook(_request(io.BytesIO(b""), 0)) == 1  # replaying would need a copy of the whole body
    assert hook(Request.blank("/notices")) is None
    assert os.path.isdir(os.path.join(app.registry.settings["portal.media_dir"], ".incoming"))


def test_the_app_refuses_an_oversized_tip_body_unread(app, tm, dbsession):
    limit = int(app.registry.settings["portal.tip.max_total_mb"]) * MB
    body = CountingInput([b"x" * 1000])
    request = _request(body, limit + 1)
    request.environ.update({"tm.active": True, "tm.manager": tm, "app.dbsession": dbsession, "HTTP_ACCEPT_LANGUAGE": "en"})
    response = request.get_response(app)
    assert response.status_int == 413 and "Too much data" in response.text
    assert body.read_bytes == 0


# Through the whole application (the tip form's view, services/tips.py, is the "public" helper's) -----------

def _post_tip(app, tm, dbsession, body_input, length):
    request = _request(body_input, length, path="/tips/new")
    request.environ.update({"QUERY_STRING": "category=organized-crime", "tm.active": True, "tm.manager": tm,
                            "app.dbsession": dbsession, "HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": "203.0.113.9"})
    return request.get_response(app)


def _stored_media(dbsession, app):
    from sqlalchemy import func, select

    from portal.media.models import Media

    media_dir = app.registry.settings["portal.media_dir"]
    files = [n for root, _dirs, names in os.walk(media_dir) for n in names]
    return dbsession.execute(select(func.count()).select_from(Media)).scalar_one(), files


@pytest.mark.parametrize("case", ["over the photo limit", "a program", "cut off"])
def test_the_tip_form_is_refused_mid_stream_with_what_was_typed_kept(app, tm, dbsession, case):
    before = _stored_media(dbsession, app)
    photo_limit = int(app.registry.settings["portal.tip.max_photo_mb"]) * MB
    typed = [("description", "Typed before the file: a grey van at night")]
    if case == "over the photo limit":
        chunks = list(m.multipart_chunks(typed + [("attachments", "huge.jpg", big_chunks(m.jpeg_taken(None),
                                                                                      photo_limit + 10 * MB))]))
        words, status, length = "huge.jpg is larger than 15 MB", 413, None
    elif case == "a program":
        chunks = list(m.multipart_chunks(typed + [("attachments", "cat.jpg", big_chunks(m.windows_exe(), 5 * MB))]))
        words, status, length = "cat.jpg is not a photo, video or sound recording", 400, None
    else:
        chunks = list(m.multipart_chunks(typed + [("attachments", "clip.mp4", m.mp4())]))[:-2]
        words, status, length = "The upload was interrupted", 400, sum(map(len, chunks)) + 5000
    total = sum(map(len, chunks))
    body = CountingInput(chunks)
    response = _post_tip(app, tm, dbsession, body, length or total)
    assert response.status_int == status
    text = " ".join(response.text.split())
    assert words in text and "Typed before the file: a grey van at night" in text
    if case != "cut off":
        assert body.read_bytes < min(total, photo_limit) + 2 * upload_stream.CHUNK
    assert _stored_media(dbsession, app) == before  # no row, no stored file, no temp file


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"a\nb\""])
def test_multipart_without_a_usable_boundary_is_refused(incoming, content_type):
    request = _request(CountingInput([b"--x\r\n"]), 5, content_type=content_type)
    upload_stream.parse_request(request, LIMITS, TEXT_LIMIT, incoming)
    assert "could not be read" in message(upload_stream.refusal(request))
    assert request.POST == MultiDict() and request.environ["wsgi.input"].read_bytes == 0


# File parts only where files belong, a full disk, the rate limit before the body ---------------------------

@pytest.mark.parametrize("name", ["csrf_token", "code", "__start__", "description"])
def test_a_file_under_any_name_but_attachments_is_a_malformed_form(incoming, name):
    stream, refusal, source = parse([("note", "kept"), (name, "x.jpg", m.jpeg_taken(None)), ("after", "unread")],
                                    incoming)
    assert "The form could not be read" in message(refusal) and refusal.status == 400
    assert stream.form == MultiDict([("note", "kept")]) and os.listdir(incoming) == []


class FullDisk:
    """A temp file on a disk that fills up after `room` bytes."""

    def __init__(self, real, room):
        self.real, self.room = real, room

    def write(self, data):
        self.room -= len(data)
        if self.room < 0:
            raise OSError(28, "No space left on device")
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("where", ["mkstemp", "write"])
def test_a_disk_that_cannot_take_the_file_refuses_the_upload_and_leaves_nothing(incoming, monkeypatch, where):
    if where == "mkstemp":
        def broken(*args, **kwargs):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(upload_stream.tempfile, "mkstemp", broken)
    else:
        real_fdopen = os.fdopen
        monkeypatch.setattr(upload_stream.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode), 100_000))
    parts = [("description", "typed"), ("attachments", "a.png", png()), ("attachments", "b.mp4", m.mp4(bytes(300_000)))]
    stream, refusal, _ = parse(parts, incoming)
    assert "The files could not be stored" in message(refusal) and refusal.status == 400
    assert stream.form == MultiDict([("description", "typed")]) and stream.files == []
    assert os.listdir(incoming) == []


def test_refusals_carry_their_status(incoming):
    _, refusal, _ = parse([("attachments", "big.jpg", big_chunks(m.jpeg_taken(None), 2 * MB))], incoming)
    assert refusal.status == 413
    _, refusal, _ = parse([("attachments", "cat.jpg", m.windows_exe())], incoming)
    assert refusal.status == 400
    request = _request(CountingInput([b"x"]), 5 * MB + 1)
    upload_stream.parse_request(request, LIMITS, TEXT_LIMIT, incoming)
    assert upload_stream.refusal(request).status == 413


def test_over_the_rate_the_body_is_refused_unread(incoming):
    registry, limiter = _registry(incoming), MemoryRateLimiter()
    tween = upload_stream.tween_factory(lambda req: (upload_stream.refusal(req), req.POST), registry)
    body = m.multipart_body([("csrf_token", "tok"), ("attachments", "a.png", png())])

    def post(addr, path="/tips/new", content_type=m.CONTENT_TYPE):
        source = CountingInput([body])
        request = _request(source, len(body), path=path, content_type=content_type, registry=registry,
                           limiter=limiter)
        request.environ["REMOTE_ADDR"] = addr
        refused, form = tween(request)
        request._process_finished_callbacks()
        return refused, form, source.read_bytes

    for n in range(30):  # both forms count together, whatever became of the post
        assert post("198.51.100.1", "/tips/new" if n % 2 else "/status/reply")[0] is None
    for path, content_type in (("/tips/new", m.CONTENT_TYPE), ("/status/reply", "application/x-www-form-urlencoded")):
        refused, form, read = post("198.51.100.1", path, content_type)
        assert (refused.status, read, form) == (429, 0, MultiDict())
        assert refused.retry_after > 3500 and "Please wait 60 minutes" in message(refused)
    refused, form, read = post("198.51.100.2")  # another address is not held up
    assert refused is None and form["csrf_token"] == "tok" and read == len(body)
    assert os.listdir(incoming) == []


# The real routes ---------------------------------------------------------------------------------------------

@pytest.fixture
def tip_code(dbsession, registry, units):
    from portal.privacy import receipts
    from tests.factories import make_tip

    tip = make_tip(dbsession, units["city_a"])
    return receipts.issue(dbsession, registry["receipt_hasher"], "tip", tip.id)


def _form_post(testapp, path, fields, **kw):
    return testapp.post(path, fields, content_type="multipart/form-data", status="*", **kw)


@pytest.mark.parametrize("name", ["csrf_token", "code", "__start__", "description", "pow_challenge"])
def test_the_routes_answer_a_misplaced_file_part_with_a_4xx(testapp, dbsession, tip_code, name):
    from webtest import Upload

    from tests.factories import make_category

    make_category(dbsession, slug="test-upload")
    form = testapp.get("/tips/new?category=test-upload").forms["deform"]
    fields = [(n, Upload("x.jpg", m.jpeg_taken(None), "image/jpeg") if n == name else v)
              for n, v in form.submit_fields("send") if n != "attachments"]
    if name not in dict(fields):
        fields.insert(0, (name, Upload("x.jpg", m.jpeg_taken(None), "image/jpeg")))
    page = _form_post(testapp, "/tips/new?category=test-upload", fields)
    assert page.status_int == 400 and "The form could not be read" in page.text
    status = testapp.get("/status").forms["deform"]
    status["code"] = tip_code
    reply = status.submit("show").forms["tip-reply"]
    fields = [(n, Upload("x.jpg", m.jpeg_taken(None), "image/jpeg") if n == name else v)
              for n, v in reply.submit_fields("reply") if n != "attachments"]
    if name not in dict(fields):
        fields.insert(0, (name, Upload("x.jpg", m.jpeg_taken(None), "image/jpeg")))
    assert 400 <= _form_post(testapp, "/status/reply", fields).status_int < 500


def test_the_tip_form_answers_a_full_disk_with_a_refusal(testapp, app, tm, dbsession, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(upload_stream.tempfile, "mkstemp", broken)
    before = _stored_media(dbsession, app)
    chunks = list(m.multipart_chunks([("description", "Typed before the file"), ("attachments", "a.mp4", m.mp4())]))
    response = _post_tip(app, tm, dbsession, CountingInput(chunks), sum(map(len, chunks)))
    text = " ".join(response.text.split())
    assert response.status_int == 400 and "The files could not be stored" in text and "Typed before the file" in text
    assert _stored_media(dbsession, app) == before


def test_the_tip_form_refuses_the_31st_post_of_an_hour_unread(testapp, app, tm, dbsession):
    # `testapp` installs a fresh rate limiter; posts go through the whole application.
    per_hour = int(app.registry.settings["portal.tip.upload_rate_per_hour"])
    chunks = list(m.multipart_chunks([("csrf_token", "forged"), ("description", "x"),
                                      ("attachments", "a.jpg", m.jpeg_taken(None))]))
    total = sum(map(len, chunks))

    def post(addr):
        body = CountingInput(chunks)
        request = _request(body, total)
        request.environ.update({"QUERY_STRING": "category=organized-crime", "tm.active": True, "tm.manager": tm,
                                "app.dbsession": dbsession, "HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": addr})
        return request.get_response(app), body.read_bytes

    for _ in range(per_hour):
        response, read = post("198.51.100.7")
        assert response.status_int == 400 and read == total  # expired form: read, refused, counted
    response, read = post("198.51.100.7")
    assert (response.status_int, read) == (429, 0) and int(response.headers["Retry-After"]) > 3500
    assert "Please wait 60 minutes" in " ".join(response.text.split())
    # The refusal is a whole page with the fallbacks: someone in danger can still call or text.
    assert 'href="tel:110"' in response.text and 'href="sms:12110' in response.text
    response, read = post("198.51.100.8")
    assert response.status_int == 400 and read == total


def test_a_refusal_inside_a_mapping_keeps_only_the_fields_before_it(incoming):
    parts = [("description", "kept"), ("__start__", "pow:mapping"), ("pow_challenge", "c"), ("pow_nonce", "n" * TEXT_LIMIT)]
    stream, refusal, _ = parse(parts, incoming)
    assert "too long" in message(refusal)
    assert stream.form == MultiDict([("description", "kept")])  # Deform could not show an open mapping again
    closed = [("__start__", "pow:mapping"), ("pow_challenge", "c"), ("__end__", "pow:mapping"), ("x", "kept")]
    stream, refusal, _ = parse(closed + [("attachments", "a.exe", m.windows_exe())], incoming)
    assert refusal is not None and stream.form == MultiDict(closed)


def test_a_video_with_a_cut_off_sample_table_is_received_without_a_staff_copy(testapp, dbsession, areas,  # noqa: F811
                                                                             category):  # noqa: F811
    from sqlalchemy import select

    from portal.media.models import Media

    page = send(testapp, fill(form_of(testapp)), files=[("v.mp4", m.mp4_short_stsz(), "video/mp4")])
    assert page.status_int == 200 and "Tip received" in page.text
    (media,) = dbsession.execute(select(Media)).scalars()
    assert media.content_type == "video/mp4" and media.public_key is None
