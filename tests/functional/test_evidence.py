"""Evidence packages and audited opening of files (issue 12, items 5, 6 and 7a): the handler sees where a
photo says it was taken; every opening of a file is an audit event; the assigned handler (a dispatcher
for an alarm) downloads a signed ZIP with a stated reason, which `portal-evidence-verify` accepts and
refuses, with a clear sentence, once one byte of a file or the manifest changes, a file goes or comes,
or the key is another; officers of another unit, or handlers not assigned, are refused."""
import io
import json
import zipfile

import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from portal.alarms.models import AlarmMessage
from portal.audit.models import AuditEvent
from portal.media.exif import read_capture
from portal.media.images import derive_public_copies
from portal.media.models import ORIGINAL_NAME_LABEL, Media
from portal.scripts import evidence_verify
from portal.tips.models import TipAttachment
from tests.factories import make_alarm, make_missing_request, make_notice, make_officer, make_sighting, make_tip
from tests.functional.helpers import login
from tests.images import jpeg_at

ADMIN_SECRET = pyotp.random_base32()
STATED = (38.0412, 114.5149)
REASON = "Case 2026-117: handed to the prosecutor"


def stored_photo(dbsession, registry, data: bytes, name: str) -> Media:
    """A photo stored as the tip form stores one: original, staff copies, capture metadata, sealed name."""
    store = registry["media_store"]
    key, sha, size = store.put_bytes(data, ".jpg")
    capture = read_capture(io.BytesIO(data))
    media = Media(kind="image", sha256=sha, size=size, content_type="image/jpeg", original_key=key,
                  original_name_sealed=registry["field_cipher"].encrypt(name, ORIGINAL_NAME_LABEL),
                  captured_at=capture.at, captured_lat=capture.lat, captured_lon=capture.lon,
                  **derive_public_copies(store, key))
    dbsession.add(media)
    dbsession.flush()
    return media


@pytest.fixture
def officers(dbsession, registry, units):
    def make(unit, roles, name, **kw):
        return make_officer(dbsession, units[unit], roles, username=name, **kw)

    return {"handler": make("county_a", ["handler"], "ev_handler"),
            "other_handler": make("county_a", ["handler"], "ev_other_handler"),
            "handler_b": make("city_b", ["handler"], "ev_handler_b"),
            "dispatcher": make("city_a", ["dispatcher"], "ev_dispatcher"),
            "dispatcher_b": make("city_b", ["dispatcher"], "ev_dispatcher_b"),
            "admin": make("province", ["admin"], "ev_admin", totp_secret=ADMIN_SECRET,
                          cipher=registry["field_cipher"])}


@pytest.fixture
def tip(dbsession, registry, units, officers):
    tip = make_tip(dbsession, units["county_a"], place="Old warehouse, Binhe Road", lat=STATED[0], lon=STATED[1],
                   state="assigned", assigned_to_id=officers["handler"].id, flagged=True)
    far = stored_photo(dbsession, registry, jpeg_at(STATED[0] + 12 / 111.195, STATED[1], "2026:12:01 10:00:00"),
                       "zhang-san-IMG_0001.jpg")
    dbsession.add(TipAttachment(tip=tip, media=far, flags="far-capture"))
    dbsession.flush()
    dbsession.refresh(tip)
    return tip


def sign_in(testapp, officer, **kw):
    testapp.reset()
    return login(testapp, officer.username, **kw)


def events(dbsession, action):
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.id)).scalars().all()


def download(testapp, url, reason=REASON, status=200):
    form = testapp.get(url).forms["deform"]
    form["reason"] = reason
    return form.submit("download", status=status)


def save(response, tmp_path, name="package.zip"):
    path = tmp_path / name
    path.write_bytes(response.body)
    return path


def check(capsys, *args) -> tuple[int, str]:
    code = evidence_verify.main([str(a) for a in args])
    return code, capsys.readouterr().out


def rewrite(source, target, *, change=None, drop=None, add=None):
    """A copy of the package with one member's bytes changed, one left out, or one added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == drop:
                continue
            if info.filename == change:
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            new.writestr(info.filename, data)
        if add is not None:
            new.writestr(add, b"a file slipped in later")
    return target


def test_the_handler_sees_where_and_when_the_photo_was_taken(testapp, tip, officers):
    sign_in(testapp, officers["handler"])
    page = testapp.get(f"/staff/tips/{tip.id}")
    facts = page.html.select_one("li.tip-file .file-facts").get_text(" ")
    assert "12.0 km from the stated place" in facts and "photo's GPS" in facts and "38.14912" in facts
    assert "taken far from the stated place" in page.text
    assert f"/staff/tips/{tip.id}/evidence" in page.text


def test_the_public_copy_keeps_no_position(testapp, registry, tip):
    media = tip.attachments[0].media
    with registry["media_store"].open(media.public_key) as copy:
        assert read_capture(copy).lat is None


def test_every_opening_of_a_file_is_audited_without_its_name(testapp, dbsession, tip, officers):
    media = tip.attachments[0].media
    sign_in(testapp, officers["handler"])
    testapp.get(f"/staff/tips/media/{media.id}?thumb=1")
    testapp.get(f"/staff/tips/media/{media.id}")
    testapp.get(f"/staff/tips/media/{media.id}", headers={"Range": "bytes=100-"}, status=206)  # the same opening
    opened = events(dbsession, "media.open")
    assert [(e.object_type, e.object_id, e.officer_id) for e in opened] == [("media", str(media.id),
                                                                             officers["handler"].id)] * 2
    assert [e.reason for e in opened] == [f"tip {tip.id}: thumbnail, viewing for handling",
                                          f"tip {tip.id}: staff copy, viewing for handling"]
    assert not any("zhang" in e.reason or "IMG" in e.reason for e in opened)


def test_the_handler_downloads_a_package_that_verifies_and_every_tampering_is_named(
        testapp, dbsession, tip, officers, tmp_path, capsys):
    sign_in(testapp, officers["handler"])
    testapp.get(f"/staff/tips/media/{tip.attachments[0].media.id}")
    response = download(testapp, f"/staff/tips/{tip.id}/evidence")
    assert response.content_type == "application/zip" and "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="evidence-tip-{tip.id}-')
    (exported,) = events(dbsession, "evidence.export")
    assert (exported.object_type, exported.object_id, exported.officer_id) == ("tip", str(tip.id),
                                                                                officers["handler"].id)
    assert REASON in exported.reason
    package = save(response, tmp_path)
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    media = tip.attachments[0].media
    original = f"originals/tip-{tip.id}-media-{media.id}.jpg"
    assert {original, f"copies/tip-{tip.id}-media-{media.id}.jpg", f"thumbnails/tip-{tip.id}-media-{media.id}.jpg",
            "manifest.json", "manifest.sig.json"} == names
    entry = next(f for f in manifest["files"] if f["path"] == original)
    assert (entry["sha256"], entry["size"], entry["unchanged_since_arrival"]) == (media.sha256, media.size, True)
    assert entry["captured_position"]["lat"] == pytest.approx(STATED[0] + 12 / 111.195, abs=1e-5)
    assert entry["captured_at"] == "2026-12-01T02:00:00+00:00" and entry["flags"] == ["far-capture"]
    assert manifest["exported"]["reason"] == REASON and manifest["exported"]["by"] == "ev_handler"
    actions = [e["action"] for e in manifest["audit"]]
    assert "media.open" in actions and actions[-1] == "evidence.export"
    assert manifest["audit"][-1]["hash"] == exported.hash
    assert "zhang" not in json.dumps(manifest, ensure_ascii=False)  # the sender's file name is protected

    key = tmp_path / "portal.pem"
    key.write_bytes(testapp.get("/.well-known/portal-evidence-key.pem").body)
    code, out = check(capsys, package, "--key", key)
    assert code == 0 and out.startswith("OK: 3 file(s) match the manifest")

    code, out = check(capsys, rewrite(package, tmp_path / "byte.zip", change=original), "--key", key)
    assert code == 1 and f"{original}: its SHA-256 is" in out
    code, out = check(capsys, rewrite(package, tmp_path / "manifest.zip", change="manifest.json"), "--key", key)
    assert code == 1 and "the signature does not match manifest.json" in out
    code, out = check(capsys, rewrite(package, tmp_path / "gone.zip", drop=original), "--key", key)
    assert code == 1 and f"{original}: listed in the manifest but missing from the package" in out
    code, out = check(capsys, rewrite(package, tmp_path / "extra.zip", add="originals/planted.jpg"), "--key", key)
    assert code == 1 and "originals/planted.jpg: is in the package but not listed in the manifest" in out
    code, out = check(capsys, rewrite(package, tmp_path / "nosig.zip", drop="manifest.sig.json"))
    assert code == 1 and "manifest.sig.json is missing" in out
    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out = check(capsys, package, "--key", other)
    assert code == 1 and "the package was signed with another key" in out
    code, out = check(capsys, package)  # no key given: the package's own, and a warning to compare it
    assert code == 0 and "compare its fingerprint" in out
    code, out = check(capsys, tmp_path / "none.zip")
    assert code == 2 and "CANNOT CHECK" in out


def test_the_jwk_set_carries_the_same_key(testapp, tmp_path, capsys, tip, officers):
    sign_in(testapp, officers["handler"])
    package = save(download(testapp, f"/staff/tips/{tip.id}/evidence"), tmp_path)
    testapp.reset()
    jwks = testapp.get("/.well-known/portal-evidence-keys.json")
    assert jwks.content_type == "application/jwk-set+json" and jwks.json["keys"][0]["kid"] == "t1"
    key = tmp_path / "keys.json"
    key.write_bytes(jwks.body)
    assert check(capsys, package, "--key", key)[0] == 0


@pytest.mark.parametrize("who", ["other_handler", "handler_b", "dispatcher"])
def test_officers_who_do_not_work_the_tip_are_refused(testapp, dbsession, tip, officers, who):
    sign_in(testapp, officers[who])
    testapp.get(f"/staff/tips/{tip.id}/evidence", status=403)
    token = testapp.get("/staff").html.select_one("input[name=csrf_token]")["value"]
    testapp.post(f"/staff/tips/{tip.id}/evidence", {"reason": REASON, "download": "", "csrf_token": token},
                 status=403)
    assert events(dbsession, "evidence.export") == []


def test_a_reason_is_required_and_nothing_is_recorded_without_one(testapp, dbsession, tip, officers):
    sign_in(testapp, officers["handler"])
    page = download(testapp, f"/staff/tips/{tip.id}/evidence", reason="ok", status=400)
    assert "Give a reason" in page.text and page.content_type == "text/html"
    assert events(dbsession, "evidence.export") == []


def test_a_post_without_the_csrf_token_is_refused(testapp, dbsession, tip, officers):
    sign_in(testapp, officers["handler"])
    testapp.post(f"/staff/tips/{tip.id}/evidence", {"reason": REASON, "download": ""}, status=400)
    assert events(dbsession, "evidence.export") == []


def test_an_administrator_in_scope_may_export(testapp, tip, officers):
    sign_in(testapp, officers["admin"], totp_secret=ADMIN_SECRET)
    assert download(testapp, f"/staff/tips/{tip.id}/evidence").content_type == "application/zip"


def test_a_dispatcher_exports_an_alarm_with_its_photo(testapp, dbsession, registry, units, officers, tmp_path,
                                                      capsys):
    alarm, _token = make_alarm(dbsession, units["city_a"])
    photo = stored_photo(dbsession, registry, jpeg_at(38.2, 115.3), "help.jpg")
    dbsession.add(AlarmMessage(alarm_id=alarm.id, sender="public", media_id=photo.id))
    dbsession.flush()
    sign_in(testapp, officers["dispatcher_b"])
    testapp.get(f"/staff/alarms/{alarm.id}/evidence", status=403)
    sign_in(testapp, officers["dispatcher"])
    testapp.get(f"/staff/alarms/photos/{photo.id}?size=thumb")
    assert events(dbsession, "media.open")[-1].reason == f"alarm {alarm.id}: thumbnail, viewing for handling"
    assert f"/staff/alarms/{alarm.id}/evidence" in testapp.get(f"/staff/alarms/{alarm.id}").text
    package = save(download(testapp, f"/staff/alarms/{alarm.id}/evidence"), tmp_path)
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["subject"]["type"] == "alarm" and manifest["subject"]["unit"] == units["city_a"].code
    assert f"originals/alarm-{alarm.id}-media-{photo.id}.jpg" in [f["path"] for f in manifest["files"]]
    code, out = check(capsys, package)
    assert code == 0, out


def test_a_moderator_exports_a_sighting_and_a_dispatcher_a_familys_request(testapp, dbsession, registry, units,
                                                                            officers, tmp_path, capsys):
    moderator = make_officer(dbsession, units["city_a"], ["moderator"], username="ev_moderator")
    moderator_b = make_officer(dbsession, units["city_b"], ["moderator"], username="ev_moderator_b")
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    sighting = make_sighting(dbsession, notice, media=stored_photo(dbsession, registry, jpeg_at(38.1, 114.6), "s.jpg"),
                             lat=38.0, lon=114.6)
    missing = make_missing_request(dbsession, registry["field_cipher"], units["county_a"], units["city_a"])
    family_photo = stored_photo(dbsession, registry, jpeg_at(38.3, 114.4), "grandpa.jpg")
    family_photo.notice_id = missing.notice_id
    dbsession.flush()
    sign_in(testapp, moderator_b)
    testapp.get(f"/staff/sightings/{sighting.id}/evidence", status=403)
    sign_in(testapp, moderator)
    testapp.get(f"/staff/sightings/{sighting.id}/photo")
    assert events(dbsession, "media.open")[-1].reason == f"sighting {sighting.id}: staff copy, viewing for handling"
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    assert f"/staff/sightings/{sighting.id}/evidence" in page.text
    assert "11.1 km from the stated place" in page.html.select_one(".file-facts").get_text(" ")  # 0.1 degrees north
    package = save(download(testapp, f"/staff/sightings/{sighting.id}/evidence"), tmp_path, "sighting.zip")
    assert check(capsys, package)[0] == 0
    with zipfile.ZipFile(package) as zf:
        assert f"originals/sighting-{sighting.id}-media-{sighting.media_id}.jpg" in zf.namelist()

    sign_in(testapp, officers["dispatcher_b"])
    testapp.get(f"/staff/missing/{missing.id}/evidence", status=403)
    sign_in(testapp, officers["dispatcher"])
    testapp.get(f"/staff/missing/photos/{family_photo.id}")
    assert events(dbsession, "media.open")[-1].reason == \
        f"missing_request {missing.id}: staff copy, viewing for handling"
    assert f"/staff/missing/{missing.id}/evidence" in testapp.get(f"/staff/missing/{missing.id}").text
    package = save(download(testapp, f"/staff/missing/{missing.id}/evidence"), tmp_path, "missing.zip")
    assert check(capsys, package)[0] == 0
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["subject"]["type"] == "missing_request"
    assert [f["path"] for f in manifest["files"] if f["role"] == "original"] == \
        [f"originals/missing-{missing.id}-media-{family_photo.id}.jpg"]
    assert [e["action"] for e in manifest["audit"]][-1] == "evidence.export"



def test_a_package_of_files_in_the_bucket_verifies(s3_media, testapp, dbsession, tip, officers, tmp_path, capsys):
    assert s3_media.exists(tip.attachments[0].media.original_key)  # the fixture stored it in the bucket
    test_the_handler_downloads_a_package_that_verifies_and_every_tampering_is_named(
        testapp, dbsession, tip, officers, tmp_path, capsys)
