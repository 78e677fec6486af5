"""Photo uploads: checked from their bytes before anything is stored; public copies carry no
metadata; files of a transaction that does not commit are removed again."""
import io
import os
from types import SimpleNamespace

import pytest
import transaction
from PIL import Image
from transaction.interfaces import NoTransaction
from webob.multidict import MultiDict

from portal.media.models import ORIGINAL_NAME_LABEL
from portal.media.uploads import UploadLimits, UploadRefused, check_photos, chosen_files, store_photos
from tests.images import GPS_MARKER, heic_with_gps, jpeg_with_gps, png, png_claiming, truncated_jpeg

LIMITS = UploadLimits(max_count=3)


def upload(data: bytes, filename="photo.jpg"):
    return SimpleNamespace(filename=filename, file=io.BytesIO(data))


def refusal(fields, limits=LIMITS) -> str:
    with pytest.raises(UploadRefused) as caught:
        check_photos(fields, limits)
    return caught.value.message.interpolate()


def test_good_photos_are_sniffed_from_their_bytes_not_their_names():
    checked = check_photos([upload(jpeg_with_gps(), "a.png"), upload(png(), "b.jpg")], LIMITS)
    assert [(c[1], c[2]) for c in checked] == [("image/jpeg", ".jpg"), ("image/png", ".png")]
    assert all(c[0].file.tell() == 0 for c in checked)  # rewound for storing


def test_chosen_files_leave_out_the_empty_field_a_browser_sends():
    chosen = upload(png(), "a.png")
    request = SimpleNamespace(POST=MultiDict([("photos", b""), ("photos", chosen), ("photos", upload(b"", ""))]))
    assert chosen_files(request, "photos") == [chosen]


@pytest.mark.parametrize("data,words", [
    (b"", "is empty"),
    (b"GIF89a but not really an image" * 3, "not a photo we can read"),
    (b"%PDF-1.7 a document, not a photo", "not a photo we can read"),
    (truncated_jpeg(), "not a photo we can read"),
    (png_claiming(8000, 6000), "too many pixels"),  # 48 million: above our limit
    (png_claiming(100_000, 100_000), "too many pixels"),  # ten billion: Pillow's own bomb guard
])
def test_bad_files_are_refused_with_a_reason(data, words):
    assert words in refusal([upload(png()), upload(data, "bad.jpg")])


def test_other_image_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    assert "not a photo (JPEG, PNG, WebP or GIF)" in refusal([upload(out.getvalue(), "x.bmp")])


def test_pixel_and_size_limits_come_from_the_limits():
    assert "too many pixels" in refusal([upload(png((1, 1)))], UploadLimits(max_count=1, max_pixels=0))
    assert "larger than" in refusal([upload(png((64, 64)))], UploadLimits(max_count=1, max_bytes=10))


def test_too_many_files():
    assert "At most 3 photos" in refusal([upload(png()) for _ in range(4)])


@pytest.fixture
def own_tm(dummy_request):
    """A transaction of its own, so the test can commit or abort it like pyramid_tm would."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    dummy_request.tm = manager
    yield manager
    try:
        manager.abort()
    except NoTransaction:  # the test committed or aborted it already
        pass


def _stored(store, media):
    return [key for m in media for key in (m.original_key, m.public_key, m.thumb_key) if store.exists(key)]


@pytest.mark.parametrize("made,name,content_type", [(jpeg_with_gps, "phone.jpg", "image/jpeg"),
                                                    (heic_with_gps, "phone.jpg", "image/heic")])  # an iPhone's HEIC
def test_public_copies_have_no_exif_or_gps_and_the_original_is_kept(dummy_request, own_tm, made, name, content_type):
    store = dummy_request.registry["media_store"]
    (media,) = store_photos(dummy_request, check_photos([upload(made((640, 480)), name)], LIMITS))
    with store.open(media.original_key) as original:
        assert GPS_MARKER in original.read()  # evidence, unchanged
    for key in (media.public_key, media.thumb_key):
        with store.open(key) as copy:
            data = copy.read()
        assert GPS_MARKER not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and not image.getexif()
    assert (media.content_type, media.width, media.height) == (content_type, 640, 480)
    assert "phone" not in media.original_name_sealed  # the name is sealed like a protected field
    cipher = dummy_request.registry["field_cipher"]
    assert cipher.decrypt(media.original_name_sealed, ORIGINAL_NAME_LABEL) == "phone.jpg"
    own_tm.commit()
    assert len(_stored(store, [media])) == 3  # kept after commit
    for key in (media.original_key, media.public_key, media.thumb_key):
        store.delete(key)


def test_files_are_removed_when_the_transaction_aborts(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    media = store_photos(dummy_request, check_photos([upload(png((30, 20), (1, 2, 3))),
                                                      upload(png((20, 30), (4, 5, 6)))], LIMITS))
    assert len(_stored(store, media)) == 6
    own_tm.abort()
    assert _stored(store, media) == []
    assert not [n for n in os.listdir(store.incoming_dir()) if n.startswith("copy-")]
