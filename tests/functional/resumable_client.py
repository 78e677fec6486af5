"""A tus client over WebTest, for the functional tests of media/resumable."""
import base64
import hashlib
from urllib.parse import urlparse

TUS = "1.0.0"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def page_token(testapp, path="/alarm") -> str:
    """The session's CSRF token, as a page's script reads it (the session starts here)."""
    import re

    page = testapp.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


class Tus:
    def __init__(self, testapp, token: str):
        self.testapp, self.token = testapp, token

    def headers(self, **extra) -> dict:
        return {"Tus-Resumable": TUS, "X-CSRF-Token": self.token, "Accept": "application/json", **extra}

    def create(self, length: int, purpose="tip", filename="clip.mp4", status=201, **headers):
        meta = f"purpose {b64(purpose)},filename {b64(filename)}"
        return self.testapp.post("/uploads", headers=self.headers(**{"Upload-Length": str(length),
                                                                     "Upload-Metadata": meta, **headers}),
                                 status=status)

    def new(self, length: int, **kw) -> str:
        return urlparse(self.create(length, **kw).headers["Location"]).path

    def patch(self, url: str, offset: int, data: bytes, status=204, checksum=None,
              content_type="application/offset+octet-stream", **headers):
        extra = {"Upload-Offset": str(offset), **headers}
        if checksum:
            digest = hashlib.sha1(data).digest()  # noqa: S324 - what tus clients send: integrity, not security
            extra["Upload-Checksum"] = "sha1 " + base64.b64encode(digest).decode()
        return self.testapp.patch(url, data, headers=self.headers(**extra), content_type=content_type, status=status)

    def head(self, url: str, status=200):
        return self.testapp.head(url, headers=self.headers(), status=status)

    def delete(self, url: str, status=204):
        return self.testapp.delete(url, headers=self.headers(), status=status)

    def upload(self, data: bytes, chunk=1024 * 1024, **kw) -> str:
        """Send a whole file; return the upload's id."""
        url = self.new(len(data), **kw)
        for start in range(0, len(data), chunk):
            self.patch(url, start, data[start:start + chunk])
        return url.rsplit("/", 1)[1]
