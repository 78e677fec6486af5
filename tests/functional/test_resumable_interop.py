"""Interoperability: an independent tus client (tuspy, the protocol's Python client) uploads to the
portal served by waitress: in chunks with sha1 checksums, stopped and resumed by a second client
from the upload's URL, and refused by the first chunk of a wrong file."""
import hashlib
import io
import re
import threading

import pytest
import requests
import waitress
from sqlalchemy import select
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

import portal
from portal.core.db import get_engine
from portal.media.resumable.models import Upload
from portal.scripts.common import db_session
from tests import media_samples as m
from tests.conftest import migrate, settings_for

MB = 1024 * 1024
VIDEO = m.mp4(b"\x00\x00\x00\x10fake-h264-frames" * (3 * MB // 26))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("tuspy")
    settings = settings_for(f"sqlite:///{base}/tuspy.sqlite", base / "media")
    migrate(get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]}))
    httpd = waitress.create_server(portal.main({}, **settings), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=httpd.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.effective_port}", settings
    finally:
        httpd.close()


def session_client(base: str) -> tus_client.TusClient:
    """A client carrying a page's session cookie and CSRF token, as the portal's pages do."""
    browser = requests.Session()
    page = browser.get(base + "/alarm", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    return tus_client.TusClient(base + "/uploads", headers={"Cookie": cookie, "X-CSRF-Token": token,
                                                            "Accept": "application/json"})


def stored(settings, url) -> Upload:
    with db_session(settings) as dbsession:
        upload = dbsession.scalars(select(Upload).where(Upload.id == url.rsplit("/", 1)[1])).one()
        dbsession.expunge(upload)
        return upload


def test_tuspy_uploads_in_checked_chunks(server):
    base, settings = server
    uploader = session_client(base).uploader(file_stream=io.BytesIO(VIDEO), chunk_size=MB, upload_checksum=True,
                                             metadata={"purpose": "tip", "filename": "van.mp4"})
    uploader.upload()
    upload = stored(settings, uploader.url)
    assert (upload.offset, upload.length, upload.kind, upload.content_type) == (len(VIDEO), len(VIDEO), "video",
                                                                                 "video/mp4")
    assert upload.sha256 == hashlib.sha256(VIDEO).hexdigest()


def test_tuspy_resumes_from_the_upload_url(server):
    base, settings = server
    client = session_client(base)
    first = client.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=MB, metadata={"purpose": "tip",
                                                                                   "filename": "van.mp4"})
    first.upload_chunk()
    first.upload_chunk()
    assert stored(settings, first.url).offset == 2 * MB
    # Another client (a reloaded page) with the same session picks it up where it stopped.
    second = client.uploader(file_stream=io.BytesIO(VIDEO), chunk_size=MB, url=first.url)
    assert second.offset == 2 * MB
    second.upload()
    assert stored(settings, first.url).offset == len(VIDEO)


def test_tuspy_sees_a_wrong_file_refused_by_its_first_chunk(server):
    base, _settings = server
    uploader = session_client(base).uploader(file_stream=io.BytesIO(b"MZ" + bytes(3 * MB)), chunk_size=MB,
                                             metadata={"purpose": "tip", "filename": "holiday.mp4"})
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 415 and b"holiday.mp4" in refused.value.response_content
    assert uploader.offset == 0
