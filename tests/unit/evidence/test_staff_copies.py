"""An evidence package takes every copy staff looked at: the cleaned copy and thumbnail, and the playable
copy the worker made with ffmpeg and its poster, each under a name of its own."""
from portal.evidence.sources import media_files
from portal.media.models import Media, MediaCopy


def _video(state: str) -> Media:
    media = Media(id=12, kind="video", sha256="a" * 64, size=100, content_type="video/mp4",
                  original_key="aa/aa/orig.mp4", public_key="bb/bb/clean.mp4")
    media.staff_copy = MediaCopy(state=state, copy_key="cc/cc/play.mp4", content_type="video/mp4",
                                 poster_key="dd/dd/poster.jpg")
    return media


def test_a_ready_playable_copy_and_its_poster_go_in_beside_the_cleaned_copy():
    files = media_files("tip-5", _video("ready"))
    assert [(f.path, f.role) for f in files] == [
        ("originals/tip-5-media-12.mp4", "original"), ("copies/tip-5-media-12.mp4", "staff-copy"),
        ("copies/tip-5-media-12-playable.mp4", "playable-copy"), ("thumbnails/tip-5-media-12-poster.jpg", "poster")]
    assert len({f.path for f in files}) == len(files)


def test_a_copy_still_being_prepared_or_failed_is_not_in_the_package():
    for state in ("pending", "failed"):
        assert [f.role for f in media_files("tip-5", _video(state))] == ["original", "staff-copy"]
