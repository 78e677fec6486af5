"""The evidence signing key, the canonical manifest and its signature, and the package check on packages
made here by hand (portal/evidence/manifest.py, verify.py; core/evidence_keys.py)."""
import base64
import hashlib
import io
import json
import os
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.core import evidence_keys
from portal.evidence import manifest as manifests
from portal.evidence.verify import load_public_key, verify


def seed() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def keyring(text=None):
    return evidence_keys.parse(text or f"e1:{seed()}")


def package(ring, files: dict, *, manifest_files=None, extra=None) -> io.BytesIO:
    """A package as package.build writes one: the files, a manifest listing them, its signature."""
    listed = manifest_files if manifest_files is not None else [
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, data in files.items()]
    manifest = manifests.canonical({"format": manifests.FORMAT, "files": listed})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(manifests.MANIFEST, manifest)
        zf.writestr(manifests.SIGNATURE, manifests.signature_document(ring, manifest))
        for path, data in (extra or {}).items():
            zf.writestr(path, data)
    out.seek(0)
    return out


def test_the_manifest_is_the_same_bytes_for_the_same_facts_in_any_order():
    a = manifests.canonical({"b": [1, 2], "a": {"y": "照片", "x": None}})
    b = manifests.canonical({"a": {"x": None, "y": "照片"}, "b": [1, 2]})
    assert a == b and a.endswith(b"\n") and "照片".encode() in a
    with pytest.raises(ValueError):
        manifests.canonical({"distance": float("nan")})  # never a NaN a reader may not parse


def test_a_keyring_signs_with_its_first_key_and_publishes_all():
    old, new = seed(), seed()
    ring = keyring(f"e2:{new} e1:{old}")
    kid, signature = ring.sign(b"manifest")
    assert kid == "e2" and len(signature) == 64
    jwks = ring.jwks()
    assert [k["kid"] for k in jwks["keys"]] == ["e2", "e1"]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in jwks["keys"])
    assert set(jwks["fingerprints"]) == {"e1", "e2"}


@pytest.mark.parametrize("value, problem", [
    ("", "is not set"),
    ("e1", "each key is id:seed"),
    ("bad id!:AAAA", "each key is id:seed"),
    ("e1:c2hvcnQ", "must be 32 bytes"),
    ("e1:%%%%", "must be 32 bytes"),
])
def test_bad_key_settings_are_refused_with_what_to_do(value, problem):
    with pytest.raises(evidence_keys.EvidenceKeyError, match=problem):
        evidence_keys.parse(value)


def test_a_key_id_listed_twice_is_refused():
    one = seed()
    with pytest.raises(evidence_keys.EvidenceKeyError, match="listed twice"):
        evidence_keys.parse(f"e1:{one} e1:{seed()}")


def test_without_a_setting_development_gets_the_published_key():
    assert evidence_keys.setting_value({}) == evidence_keys.DEVELOPMENT_KEY
    assert evidence_keys.from_settings({}).current_id == "dev"


def test_a_package_made_right_verifies_against_the_embedded_and_the_published_key():
    ring = keyring()
    made = package(ring, {"originals/a.jpg": b"\xff\xd8photo", "copies/a.jpg": b"copy"})
    report = verify(made)
    assert report.ok and report.files == 2 and report.key_id == "e1" and not report.trusted_key
    pem = evidence_keys.public_pem(ring.public_keys()[0][1]).encode()
    trusted = verify(package(ring, {"x.bin": b"1"}), load_public_key(pem))
    assert trusted.ok and trusted.trusted_key


def test_a_wrong_size_a_twice_stored_member_and_a_listed_absent_file_are_each_named():
    ring = keyring()
    listed = [{"path": "a.bin", "size": 99, "sha256": "0" * 64}, {"path": "gone.bin", "size": 1, "sha256": "0" * 64},
              {"path": "lost-before-export.bin", "missing": True}, {"size": 3}]
    with pytest.warns(UserWarning):  # zipfile warns of the duplicate name, as it should
        made = package(ring, {"a.bin": b"abc"}, manifest_files=listed, extra={"a.bin": b"abd"})
    problems = verify(made).problems
    assert "a.bin: is in the package twice" in problems
    assert "a.bin: is 3 bytes, the manifest says 99" in problems
    assert any(p.startswith("a.bin: its SHA-256 is") for p in problems)
    assert "gone.bin: listed in the manifest but missing from the package" in problems
    assert "the manifest lists a file without a path" in problems
    assert not any("lost-before-export" in p for p in problems)  # the manifest says the portal had none


def test_not_a_zip_and_not_a_package_are_said_plainly():
    assert verify(io.BytesIO(b"PK\x03\x04 nothing")).problems[0].startswith("the package is not a readable ZIP")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("photo.jpg", b"x")
    assert verify(empty).problems == ["manifest.json is missing: this is not an evidence package"]


def test_a_signature_under_another_key_or_a_broken_signature_file_fails():
    ring, other = keyring(), keyring()
    made = package(ring, {"a": b"1"})
    report = verify(made, other.public_keys()[0][1])
    assert not report.ok and any("signed with another key" in p for p in report.problems)
    assert any("the signature does not match manifest.json" in p for p in report.problems)
    broken = io.BytesIO()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(broken, "w") as zf:
        for name in source.namelist():
            zf.writestr(name, b"{not json" if name == manifests.SIGNATURE else source.read(name))
    assert any("manifest.sig.json is not JSON" in p for p in verify(broken).problems)


def test_public_keys_load_from_pem_jwk_and_jwk_set_only_when_ed25519():
    ring = keyring()
    public = ring.public_keys()[0][1]
    raw = evidence_keys.raw_public(public)
    for data in (evidence_keys.public_pem(public).encode(), json.dumps(ring.jwks()).encode(),
                 json.dumps(ring.jwks()["keys"][0]).encode()):
        assert evidence_keys.raw_public(load_public_key(data)) == raw
    with pytest.raises(ValueError):
        load_public_key(b'{"keys": [{"kty": "RSA"}]}')
    with pytest.raises(ValueError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


def test_a_signature_document_names_its_key_and_the_manifest_hash():
    ring = keyring()
    document = json.loads(manifests.signature_document(ring, b"{}\n"))
    assert document["algorithm"] == "Ed25519" and document["key_id"] == "e1"
    assert document["public_key_sha256"] == evidence_keys.fingerprint(ring.public_keys()[0][1])
    public = manifests.embedded_public_key(document)
    assert manifests.signature_ok(public, document, b"{}\n") and not manifests.signature_ok(public, document, b"{}")
    assert not manifests.signature_ok(Ed25519PrivateKey.generate().public_key(), document, b"{}\n")
