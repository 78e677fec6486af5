"""Upload parts a killed server left (reporters' media, unencrypted) are removed when the web app or
the worker starts, and by the worker's rounds; a living process's parts stay (issue 10, finding 6)."""
import os
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import pytest

import portal
from portal.media import incoming, jobs
from portal.media.storage import LocalMediaStore
from portal.scripts import worker
from tests.conftest import ROOT
from tests.unit.scripts.test_worker import write_ini

# A server process that starts streaming a tip with a video and is killed (SIGKILL) half way through.
KILLED_MID_UPLOAD = textwrap.dedent("""
    import io, os, signal, sys
    from datetime import timedelta
    from portal.media.storage import LocalMediaStore
    from portal.tips import upload_stream
    from portal.tips.media import MB, AttachmentLimits
    from tests import media_samples as m

    store = LocalMediaStore(sys.argv[1])
    limits = AttachmentLimits(max_files=3, max_bytes={"image": MB, "video": 3 * MB, "audio": MB},
                              max_total_bytes=5 * MB, old_capture=timedelta(hours=24))
    body = io.BytesIO(m.multipart_body([("attachments", "IMG_0001.mp4", m.mp4() * 40)]))
    reads = []

    def read(size):
        reads.append(size)
        if len(reads) == 3:  # part of the file is on disk
            print(os.listdir(store.incoming_dir()), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return body.read(min(size, 4096))

    upload_stream.FormStream(m.BOUNDARY, None, limits, 65536, store.incoming_dir()).run(read)
""")


def killed_server_leaves_parts(media_dir) -> list[str]:
    """Run the killed server; return the part files it left."""
    done = subprocess.run([sys.executable, "-c", KILLED_MID_UPLOAD, str(media_dir)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == -9, done.stderr
    left = [os.path.join(root, name) for root, _dirs, names in os.walk(incoming.incoming_root(str(media_dir)))
            for name in names if name.startswith("part-")]
    assert left and all(os.path.getsize(path) > 0 for path in left)
    return left


def old_layout_leftovers(media_dir) -> list[str]:
    """What the code before per-process directories left: parts under .incoming, copies in the root."""
    os.makedirs(incoming.incoming_root(str(media_dir)), exist_ok=True)
    paths = [os.path.join(incoming.incoming_root(str(media_dir)), "part-x1y2z3"),
             os.path.join(str(media_dir), ".incoming-a1b2c3")]
    for path in paths:
        with open(path, "wb") as f:
            f.write(b"\xff\xd8\xff reporter's photo")
    return paths


def living_part(media_dir) -> tuple[LocalMediaStore, str]:
    store = LocalMediaStore(str(media_dir))
    path = os.path.join(store.incoming_dir(), "part-inflight")
    with open(path, "wb") as f:
        f.write(b"an upload still arriving")
    return store, path


def test_the_web_app_removes_a_killed_servers_parts_at_start_up(app_settings, engine, tmp_path):
    media_dir = tmp_path / "media"
    left = killed_server_leaves_parts(media_dir) + old_layout_leftovers(media_dir)
    _other_server, inflight = living_part(media_dir)  # another server of the same site, mid-upload
    portal.main({}, **dict(app_settings, **{"portal.media_dir": str(media_dir)}))
    assert not any(os.path.exists(path) for path in left)
    assert os.path.exists(inflight)  # a living process's upload is not touched
    remaining = [name for name in os.listdir(incoming.incoming_root(str(media_dir)))]
    assert len(remaining) == 4  # the other server's and the new app's: a directory and a lock each


def test_the_worker_removes_them_when_it_starts(app_settings, tmp_path):
    path, _url = write_ini(tmp_path, app_settings)  # its media directory is tmp_path / "media"
    left = killed_server_leaves_parts(tmp_path / "media")
    assert worker.main([path, "--once"]) == 0
    assert not any(os.path.exists(p) for p in left)


def test_the_workers_round_removes_parts_older_than_the_longest_upload(tmp_path):
    media_dir = tmp_path / "media"
    left = killed_server_leaves_parts(media_dir)
    store, fresh = living_part(media_dir)
    stale = os.path.join(store.incoming_dir(), "part-forgotten")
    with open(stale, "wb") as f:
        f.write(b"a part its living process never removed")
    three_hours_ago = time.time() - 3 * 3600
    os.utime(stale, (three_hours_ago, three_hours_ago))
    request = SimpleNamespace(registry=SimpleNamespace(settings={
        "portal.media_dir": str(media_dir), "portal.upload.stale_minutes": "120"}))
    assert jobs.sweep_partial_uploads(request) == len(left) + 1
    assert os.path.exists(fresh) and not os.path.exists(stale)
    assert not any(os.path.exists(p) for p in left)
    assert "sweep-partial-uploads" in worker.JOBS


def test_a_sweep_never_takes_a_living_processs_directory(tmp_path):
    store, inflight = living_part(tmp_path)
    assert incoming.sweep(str(tmp_path)) == 0 and os.path.exists(inflight)
    assert store.put_bytes(b"stored", ".bin")[2] == 6  # the store's copies go through the same directory
    assert os.listdir(store.incoming_dir()) == ["part-inflight"]


@pytest.mark.skipif(incoming.fcntl is None, reason="locks need fcntl")
def test_a_closed_claim_is_swept(tmp_path):
    directory, lock = incoming.claim(str(tmp_path))
    with open(os.path.join(directory, "part-1"), "wb") as f:
        f.write(b"x")
    lock.close()  # what the kernel does when the process dies
    assert incoming.sweep(str(tmp_path)) == 1
    assert os.listdir(incoming.incoming_root(str(tmp_path))) == []
