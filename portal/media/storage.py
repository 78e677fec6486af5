"""Media storage behind an interface: local disk by default."""
import hashlib
import io
import os
import shutil
import tempfile

CHUNK = 64 * 1024


class LocalMediaStore:
    """Files under one directory, addressed by keys such as ``ab/cd/<sha256>.jpg``.

    Writes go to a temporary file in the same directory and are renamed into place, so a
    crash never leaves half a file under a real key."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)

    def path(self, key: str) -> str:
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise ValueError("media key escapes the store")
        return path

    def put_stream(self, stream, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        """Copy a file object in chunks; return (key, sha256, size). Keys are content addresses, so
        the same bytes may already be stored for another row: only keys this call created are
        appended to `new_keys` (what a failed transaction may delete again)."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            key = f"{sha[:2]}/{sha[2:4]}/{sha}{suffix}"
            os.makedirs(os.path.dirname(self.path(key)), exist_ok=True)
            if new_keys is not None and not self.exists(key):
                new_keys.append(key)
            os.replace(tmp, self.path(key))
            return key, sha, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def put_file(self, path: str, sha: str, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        """Move a file already under this directory (a streamed upload, hashed as it arrived: see
        services/upload_stream.py) into place instead of copying it; same result as put_stream."""
        key = f"{sha[:2]}/{sha[2:4]}/{sha}{suffix}"
        size = os.path.getsize(path)
        os.makedirs(os.path.dirname(self.path(key)), exist_ok=True)
        if new_keys is not None and not self.exists(key):
            new_keys.append(key)
        os.replace(path, self.path(key))
        return key, sha, size

    def put_bytes(self, data: bytes, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        return self.put_stream(io.BytesIO(data), suffix, new_keys)

    def exists(self, key: str) -> bool:
        return os.path.isfile(self.path(key))

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            pass

    def copy_to(self, key: str, fileobj) -> None:
        with open(self.path(key), "rb") as src:
            shutil.copyfileobj(src, fileobj, CHUNK)
