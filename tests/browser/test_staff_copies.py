"""Every format a tip may carry plays in Chromium from its staff copy: a file of each (made by ffmpeg
with metadata, tests/transcode_samples.py) is attached to a demo tip, the worker's job makes the copies,
and on the tip's staff page each <video> reaches canplay with a picture size (3GP/H.263 used to show 0x0)
and each <audio> reaches canplay (AMR used to have no player)."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.core.settings import DEFAULTS
from portal.media import copy_jobs, ffmpeg
from portal.media.models import Media, MediaCopy
from portal.media.storage import LocalMediaStore
from portal.scripts.common import db_session
from portal.tips.models import Tip, TipAttachment
from portal.units.models import Unit
from tests.browser.conftest import sign_in
from tests.transcode_samples import FORMATS, make_sample, require_ffmpeg

PLAY = """async (id) => {
  const el = document.querySelector(`#file-${id} video, #file-${id} audio`);
  if (!el) return {missing: true};
  el.preload = "auto";
  if (el.readyState < 3) {
    await new Promise((ok, bad) => {
      el.addEventListener("canplay", ok, {once: true});
      el.addEventListener("error", () => bad(new Error("media error " + (el.error && el.error.code))), {once: true});
      setTimeout(() => bad(new Error("no canplay in 20 s")), 20000);
      el.load();
    });
  }
  const poster = el.poster ? await fetch(el.poster).then(r => r.ok && r.headers.get("content-type")) : null;
  return {tag: el.tagName.toLowerCase(), width: el.videoWidth || 0, height: el.videoHeight || 0,
          duration: el.duration, poster};
}"""


class _Registry(dict):
    def __init__(self, settings, store):
        super().__init__(media_store=store)
        self.settings = settings


@pytest.fixture(scope="module")
def tip_with_every_format(live_server, app_settings_sqlite, tmp_path_factory):
    """A demo tip of the moderator's unit with one file of each format and their copies made; returns
    (tip id, {format: media id})."""
    require_ffmpeg()
    settings = {**DEFAULTS, **app_settings_sqlite}
    store = LocalMediaStore(settings["portal.media_dir"])
    samples = tmp_path_factory.mktemp("samples")
    request = SimpleNamespace(registry=_Registry(settings, store))
    with db_session(settings) as dbsession:
        tip = dbsession.execute(select(Tip).join(Unit, Unit.id == Tip.unit_id).where(Unit.code == "139910")
                                .order_by(Tip.id)).scalars().first()
        ids = {}
        for name, (kind, content_type, suffix, _options) in FORMATS.items():
            key, sha, size = store.put_bytes(make_sample(name, samples), suffix)
            media = Media(kind=kind, sha256=sha, size=size, content_type=content_type, original_key=key)
            copy_jobs.request_copy(media)
            dbsession.add(TipAttachment(tip=tip, media=media))
            dbsession.flush()
            assert copy_jobs.make_one(request, media.staff_copy, ffmpeg.Limits.from_settings(settings)), \
                media.staff_copy.failure
            ids[name] = media.id
        tip_id = tip.id
    yield tip_id, ids
    with db_session(settings) as dbsession:  # the other browser tests see the demo tip as it was
        for attachment in dbsession.execute(select(TipAttachment).where(
                TipAttachment.media_id.in_(ids.values()))).scalars():
            dbsession.delete(attachment)
        dbsession.flush()
        for media in dbsession.execute(select(Media).where(Media.id.in_(ids.values()))).scalars():
            dbsession.delete(media)
        assert not dbsession.execute(select(MediaCopy).where(MediaCopy.media_id.in_(ids.values()))).scalars().all()


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_staff_copy_plays_in_chromium(page, live_server, tip_with_every_format, name):
    tip_id, ids = tip_with_every_format
    sign_in(page, live_server, "moderator")
    page.goto(f"{live_server}/staff/tips/{tip_id}")
    played = page.evaluate(PLAY, ids[name])
    assert abs(played["duration"] - 2.0) < 0.2
    if FORMATS[name][0] == "video":
        assert played["tag"] == "video" and played["width"] > 0 and played["height"] > 0, played
        assert played["poster"] == "image/jpeg"
    else:
        assert played["tag"] == "audio", played
    assert page.console.errors == []


def test_the_tip_page_with_players_has_no_axe_violations(page, live_server, tip_with_every_format):
    from tests.browser.test_public_pages import AXE, describe

    tip_id, _ids = tip_with_every_format
    sign_in(page, live_server, "moderator")
    page.goto(f"{live_server}/staff/tips/{tip_id}")
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
