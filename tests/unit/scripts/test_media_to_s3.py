"""portal-media-to-s3: the local media store copied into a real bucket (SeaweedFS, tests/seaweed.py),
read back by the S3 store under the same keys, idempotent, verified, with counts; scratch files stay."""
import os

import pytest

from portal.media.backends import make_media_store
from portal.media.storage import LocalMediaStore
from portal.scripts import media_to_s3


def write_ini(path, settings: dict) -> str:
    path.write_text("[app:main]\nuse = egg:safety-portal\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    return str(path)


@pytest.fixture
def local(tmp_path):
    store = LocalMediaStore(str(tmp_path / "media"))
    keys = [store.put_bytes(f"photo {i}".encode() * 1000, ".jpg")[0] for i in range(3)]
    keys.append(store.put_bytes(os.urandom(9 * 1024 * 1024), ".mp4")[0])  # more than one part
    with open(os.path.join(store.incoming_dir(), "part"), "wb") as f:
        f.write(b"a living process's upload")  # scratch: never copied
    os.makedirs(os.path.join(store.root, ".resumable"))
    with open(os.path.join(store.root, ".resumable", "x" * 43), "wb") as f:
        f.write(b"an unfinished resumable upload")
    return store, keys


def run(ini, capsys) -> tuple[int, str]:
    code = media_to_s3.main([ini])
    return code, capsys.readouterr().out


def test_copies_every_file_verifies_and_a_second_run_copies_nothing(seaweed, local, tmp_path, capsys):
    store, keys = local
    bucket = seaweed.new_bucket()
    settings = {"portal.media_dir": store.root, **seaweed.portal_settings(bucket)}
    ini = write_ini(tmp_path / "portal.ini", {**settings, "portal.media.backend": "local"})
    code, out = run(ini, capsys)
    assert code == 0 and out.startswith("4 file(s) copied (") and "0 already in the bucket, 0 failed" in out
    client = seaweed.client()
    listed = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert listed == sorted(keys)  # nothing from .incoming or .resumable
    s3 = make_media_store(settings)
    for key in keys:
        with store.open(key) as original, s3.open(key) as copied:
            assert copied.read() == original.read()

    code, out = run(ini, capsys)
    assert code == 0 and out.startswith("0 file(s) copied (0 bytes") and "4 already in the bucket" in out

    # An object with the right size but other bytes (a copy cut short, tampered) is copied again.
    damaged = keys[0]
    size = os.path.getsize(os.path.join(store.root, damaged))
    client.put_object(Bucket=bucket, Key=damaged, Body=b"x" * size, Metadata={"sha256": "0" * 64})
    code, out = run(ini, capsys)
    assert code == 0 and out.startswith("1 file(s) copied") and "3 already in the bucket" in out
    with s3.open(damaged) as copied, store.open(damaged) as original:
        assert copied.read() == original.read()


def test_bad_credentials_are_a_clear_sentence_and_exit_2(seaweed, local, tmp_path, capsys):
    store, _keys = local
    bucket = seaweed.new_bucket()
    ini = write_ini(tmp_path / "portal.ini", {"portal.media_dir": store.root, **seaweed.portal_settings(bucket),
                                              "portal.media.s3.secret_key": "not-the-secret-0123456789"})
    code, out = run(ini, capsys)
    assert code == 2 and "CANNOT COPY" in out and "refused the credentials" in out
    assert "not-the-secret" not in out and seaweed.secret_key not in out
