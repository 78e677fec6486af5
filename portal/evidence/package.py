"""Building an evidence package: a ZIP written to a temporary file in the media store's incoming
directory (never held in memory), each stored file copied in blocks and hashed on the way, then the
manifest and its signature. The file is opened and unlinked at once: the response streams it and the
disk space goes back when the response is closed, or when the process dies."""
import hashlib
import os
import tempfile
import zipfile

from portal.core import evidence_keys
from portal.core.meta import utcnow
from portal.evidence import manifest as manifests
from portal.evidence.sources import Source, audit_events

BLOCK = 64 * 1024
# Photos, video and sound are compressed already: stored as they are, which keeps building fast.
COMPRESSED_KINDS = ("image/", "video/", "audio/")


def _entry(path: str, when) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    info.external_attr = 0o644 << 16
    return info


def _copy(store, zf: zipfile.ZipFile, stored, when) -> dict:
    """Copy one stored file into the ZIP; its entry for the manifest (size and SHA-256 as written)."""
    info = _entry(stored.path, when)
    info.compress_type = zipfile.ZIP_STORED if stored.content_type.startswith(COMPRESSED_KINDS) \
        else zipfile.ZIP_DEFLATED
    digest, size = hashlib.sha256(), 0
    entry = {"path": stored.path, "role": stored.role, "content_type": stored.content_type, **stored.facts}
    try:
        with store.open(stored.key) as source, zf.open(info, "w", force_zip64=True) as target:
            while block := source.read(BLOCK):
                digest.update(block)
                size += len(block)
                target.write(block)
    except FileNotFoundError:
        return dict(entry, missing=True)
    entry.update(size=size, sha256=digest.hexdigest())
    expected = stored.facts.get("sha256_on_arrival")
    if expected is not None:
        entry["unchanged_since_arrival"] = expected == entry["sha256"]
    return entry


def write(store, keyring: evidence_keys.EvidenceKeyring, files: list, head: dict, audit: list, now) -> tuple:
    """The ZIP of `files` (sources.StoredFile) with the manifest (`head` and the files' entries and
    `audit`) and its signature, in an unlinked temporary file of the store's incoming directory;
    (the open file at position 0, its size)."""
    fd, path = tempfile.mkstemp(dir=store.incoming_dir(), prefix="evidence-", suffix=".zip")
    out = os.fdopen(fd, "w+b")
    os.unlink(path)  # only this handle keeps it; nothing is left behind whatever happens next
    try:
        with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
            entries = sorted((_copy(store, zf, stored, now) for stored in files), key=lambda e: e["path"])
            document = {**head, "files": entries,
                        "missing_files": [e["path"] for e in entries if e.get("missing")],
                        "changed_since_arrival": [e["path"] for e in entries
                                                  if e.get("unchanged_since_arrival") is False],
                        "audit": audit}
            manifest_bytes = manifests.canonical(document)
            zf.writestr(_entry(manifests.MANIFEST, now), manifest_bytes, compress_type=zipfile.ZIP_DEFLATED)
            signature = manifests.signature_document(keyring, manifest_bytes)
            zf.writestr(_entry(manifests.SIGNATURE, now), signature, compress_type=zipfile.ZIP_DEFLATED)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def build(request, source: Source, *, reason: str, export_event) -> tuple[object, int, str]:
    """Write the package of `source` for the signed-in officer; (an open binary file positioned at 0,
    its size, a file name). The caller streams the file and closes it."""
    store, settings, officer = request.registry["media_store"], request.registry.settings, request.identity
    now = utcnow()
    head = {
        "format": manifests.FORMAT,
        "subject": {"type": source.kind, "id": source.subject.id, "unit": source.unit.code, **source.facts},
        "exported": {"at": now.isoformat(timespec="seconds"), "by": officer.username, "officer_id": officer.id,
                     "unit": officer.unit.code, "reason": reason, "audit_seq": export_event.seq,
                     "portal": settings.get("portal.public_url") or ""},
    }
    audit = [manifests.audit_entry(e) for e in audit_events(request.dbsession, source.audit_refs)]
    out, size = write(store, evidence_keys.from_settings(settings), source.files, head, audit, now)
    name = f"evidence-{source.kind.replace('_', '-')}-{source.subject.id}-{now:%Y%m%dT%H%M%SZ}.zip"
    return out, size, name
