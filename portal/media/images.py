"""Public copies of images: re-encoded (which drops EXIF and GPS), resized, with a thumbnail.

iPhones save photos as HEIC (HEVC in HEIF): pillow-heif lets Pillow open them (format "HEIF"), so
they are checked and copied to JPEG like any other photo; the original stays as sent."""
import io

from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

register_heif_opener()  # once, for every Image.open of the process (the upload checks open photos too)

PUBLIC_MAX = 1024
THUMB_MAX = 320


def _encode(image: Image.Image, max_side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    out = io.BytesIO()
    # A fresh JPEG carries no metadata of the original: no EXIF, no GPS, no maker notes.
    copy.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue(), copy.width, copy.height


def derive_public_copies(store, original_key: str, new_keys: list | None = None) -> dict:
    """Read the stored original and write the public and thumbnail copies next to it."""
    with store.open(original_key) as stored, Image.open(stored) as image:
        image = ImageOps.exif_transpose(image)  # keep the orientation the camera meant
        public, width, height = _encode(image, PUBLIC_MAX)
        thumb, _, _ = _encode(image, THUMB_MAX)
    public_key, _, _ = store.put_bytes(public, ".jpg", new_keys)
    thumb_key, _, _ = store.put_bytes(thumb, ".jpg", new_keys)
    return {"public_key": public_key, "thumb_key": thumb_key, "width": width, "height": height}
