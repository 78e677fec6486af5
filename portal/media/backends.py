"""Which media store a process uses: portal.media.backend = local (files under portal.media_dir, one
server or a shared disk) or s3 (a private S3-compatible bucket, for several servers; media/s3_store.py).
Either way portal.media_dir is this machine's own: files being written and resumable uploads."""
from portal.core.settings import SettingsError
from portal.media.storage import LocalMediaStore

BACKEND = "portal.media.backend"
S3_REQUIRED = ("portal.media.s3.bucket", "portal.media.s3.access_key", "portal.media.s3.secret_key")


def backend_name(settings) -> str:
    backend = str(settings.get(BACKEND, "local") or "local").strip().lower()
    if backend not in ("local", "s3"):
        raise SettingsError(f"{BACKEND} must be local or s3, not {backend!r}")
    return backend


def s3_store(settings):
    """The bucket's store, checked: it answers to the credentials and is not public (SettingsError, in a
    sentence without the secret, when not)."""
    from portal.media import s3_store as s3  # boto3 is imported only by deployments that use it

    missing = [name for name in S3_REQUIRED if not str(settings.get(name, "") or "").strip()]
    if missing:
        raise SettingsError(f"{BACKEND} = s3 needs {', '.join(missing)}")
    client = s3.make_client(str(settings.get("portal.media.s3.endpoint", "") or "").strip(),
                            str(settings.get("portal.media.s3.region", "") or "").strip(),
                            str(settings["portal.media.s3.access_key"]).strip(),
                            str(settings["portal.media.s3.secret_key"]).strip())
    store = s3.S3MediaStore(client, str(settings["portal.media.s3.bucket"]).strip(), settings["portal.media_dir"],
                            endpoint=str(settings.get("portal.media.s3.endpoint", "") or "").strip())
    try:
        store.check()
    except s3.ObjectStoreError as error:
        raise SettingsError(f"{BACKEND} = s3: {error}") from None
    return store


def make_media_store(settings):
    if backend_name(settings) == "s3":
        return s3_store(settings)
    return LocalMediaStore(settings["portal.media_dir"])
