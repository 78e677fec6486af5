"""Forms refer to finished uploads by id: `<input type="hidden" name="<file field>:upload" value="<id>">`
(static/js/resumable.js adds them). `uploads.chosen_files` turns each into a ResumableFile, which
offers what a multipart file part offers (`filename`, `file`, `type`, `length`, and `path` + `sha256`
for storing by a rename), so each form's checks and storing are unchanged.

An upload is claimed only when its form stores it (`uploads.store_photos`, `tips.media.store_attachments`
call `claim()`): its row is deleted in the form's transaction and its file once that commits. A refused
form leaves it waiting for the next try (until it expires); a file stored for a transaction that then
aborts is a hard link of the upload's, so the upload is whole again."""
import logging
import re

from portal.core.i18n import _
from portal.media.refusals import UploadRefused
from portal.media.resumable import files, service
from portal.media.resumable.models import Upload

log = logging.getLogger(__name__)

ID = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_IDS = 50  # more than any form takes: the form's own check says how many


def id_field(name: str) -> str:
    return f"{name}:upload"


class ResumableFile:
    """A finished upload as a form's file field; see the module docstring."""

    def __init__(self, request, upload: Upload, name: str):
        self.request = request
        self.upload_id = upload.id
        self.name = name
        self.filename = service.file_name(request, upload)
        self.type = upload.content_type or "application/octet-stream"
        self.size = upload.length
        self.sha256 = upload.sha256
        self.headers = {}
        # The bytes as a local file: the form's checks read it, the store moves it into place (put_file).
        self.file, self.path = service.upload_files(request).local_copy(
            upload.id, request.registry["media_store"].incoming_dir())

    @property
    def length(self) -> int:
        return self.size

    def __repr__(self):  # no name or id in logs
        return f"<ResumableFile {self.name} {self.size} bytes>"

    def claim(self) -> None:
        """Take the upload for the form being stored: gone with the form's commit, kept if it aborts."""
        request = self.request
        deleted = request.dbsession.execute(Upload.__table__.delete().where(
            Upload.id == self.upload_id, Upload.owner_hash == service.owner_hash(request))).rowcount
        if deleted != 1:  # another request of the same session claimed it first
            raise UploadRefused(service.gone().message)
        stored, upload_id = service.upload_files(request), self.upload_id
        request.tm.get().addAfterCommitHook(lambda committed: stored.remove(upload_id) if committed else None)

    def discard(self) -> None:
        self.file.close()
        if self.path:
            files.remove(self.path)  # nothing when the store moved it


def resumable_files(request, name: str) -> list[ResumableFile]:
    """The finished uploads the form names under `name`, each the session's own (UploadRefused otherwise)."""
    ids = list(dict.fromkeys(v for v in request.POST.getall(id_field(name)) if isinstance(v, str) and v))
    if not ids:
        return []
    if len(ids) > MAX_IDS or not all(ID.fullmatch(i) for i in ids):
        raise UploadRefused(_("The form could not be read. Nothing was saved; please send it again."))
    found = []
    try:
        for upload_id in ids:
            try:
                upload = service.owned(request, upload_id)
            except service.TusRefused as refused:
                raise UploadRefused(refused.message) from None
            if not upload.complete or upload.sha256 is None:
                raise UploadRefused(_("A file has not finished uploading. Please wait until it has, then send the "
                                "form again."))
            found.append(ResumableFile(request, upload, name))
    finally:
        request.add_finished_callback(lambda _request: [f.discard() for f in found])
    return found
