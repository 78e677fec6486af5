"""Checking an evidence package with nothing but the package (and, better, the portal's published public
key): the manifest's signature, then every file listed against its size and SHA-256, files listed but
absent, files present but not listed. Every problem is said in a sentence; none stops the others from
being found."""
import hashlib
import json
import zipfile
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portal.core import evidence_keys
from portal.evidence import manifest as manifests

BLOCK = 64 * 1024
OWN_FILES = (manifests.MANIFEST, manifests.SIGNATURE)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    key_id: str = ""
    fingerprint: str = ""
    trusted_key: bool = False  # checked against a key given from outside the package

    @property
    def ok(self) -> bool:
        return not self.problems


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A PEM public key, or a JWK / JWK Set (the portal publishes both); ValueError otherwise."""
    text = data.strip()
    if text.startswith(b"{"):
        document = json.loads(text.decode("utf-8"))
        keys = document.get("keys", [document]) if isinstance(document, dict) else []
        for key in keys:
            if isinstance(key, dict) and key.get("kty") == "OKP" and key.get("crv") == "Ed25519":
                raw = evidence_keys.decode_seed(str(key.get("x", "")))
                if raw is not None and len(raw) == 32:
                    return Ed25519PublicKey.from_public_bytes(raw)
        raise ValueError("the JSON holds no Ed25519 key")
    key = serialization.load_pem_public_key(text)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the PEM key is not an Ed25519 key")
    return key


def _sha256(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as member:
        while block := member.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _check_files(zf: zipfile.ZipFile, listed: list, report: Report) -> None:
    members = {}
    for info in zf.infolist():
        if info.filename in members:
            report.problems.append(f"{info.filename}: is in the package twice")
        members[info.filename] = info
    seen = set()
    for entry in listed:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str):
            report.problems.append("the manifest lists a file without a path")
            continue
        seen.add(path)
        if entry.get("missing"):
            continue  # the portal itself had no stored file: the manifest says so (missing_files)
        info = members.get(path)
        if info is None:
            report.problems.append(f"{path}: listed in the manifest but missing from the package")
            continue
        try:
            sha, size = _sha256(zf, info)
        except (zipfile.BadZipFile, OSError, EOFError) as error:  # a CRC error: the ZIP's own check
            report.problems.append(f"{path}: cannot be read ({error})")
            continue
        report.files += 1
        if size != entry.get("size"):
            report.problems.append(f"{path}: is {size} bytes, the manifest says {entry.get('size')}")
        if sha != entry.get("sha256"):
            report.problems.append(f"{path}: its SHA-256 is {sha}, the manifest says {entry.get('sha256')}")
    for path in sorted(set(members) - seen - set(OWN_FILES)):
        report.problems.append(f"{path}: is in the package but not listed in the manifest")


def _check_signature(manifest_bytes: bytes, signature: bytes | None, trusted: Ed25519PublicKey | None,
                     report: Report) -> None:
    if signature is None:
        report.problems.append(f"{manifests.SIGNATURE} is missing: the manifest is not signed")
        return
    try:
        document = manifests.read_signature(signature)
        embedded = manifests.embedded_public_key(document)
    except ValueError as error:
        report.problems.append(str(error))
        return
    report.key_id = document["key_id"]
    key = trusted or embedded
    report.trusted_key = trusted is not None
    report.fingerprint = evidence_keys.fingerprint(key)
    if trusted is not None and evidence_keys.raw_public(trusted) != evidence_keys.raw_public(embedded):
        report.problems.append(f"the package was signed with another key (key id {document['key_id']}, fingerprint "
                               f"{evidence_keys.fingerprint(embedded)}) than the one given "
                               f"({report.fingerprint})")
    if not manifests.signature_ok(key, document, manifest_bytes):
        report.problems.append(f"the signature does not match {manifests.MANIFEST}: the manifest was changed "
                               "after signing, or signed with another key")


def verify(path, trusted: Ed25519PublicKey | None = None) -> Report:
    """Check the package at `path` (a file name or a binary file object)."""
    report = Report()
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if manifests.MANIFEST not in names:
                report.problems.append(f"{manifests.MANIFEST} is missing: this is not an evidence package")
                return report
            manifest_bytes = zf.read(manifests.MANIFEST)
            signature = zf.read(manifests.SIGNATURE) if manifests.SIGNATURE in names else None
            _check_signature(manifest_bytes, signature, trusted, report)
            try:
                document = json.loads(manifest_bytes.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                report.problems.append(f"{manifests.MANIFEST} is not JSON: {error}")
                return report
            if not isinstance(document, dict) or document.get("format") != manifests.FORMAT:
                report.problems.append(f"{manifests.MANIFEST} is not of the format {manifests.FORMAT}")
                return report
            files = document.get("files")
            _check_files(zf, files if isinstance(files, list) else [], report)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        report.problems.append(f"the package is not a readable ZIP file: {error}")
    return report
