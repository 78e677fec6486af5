"""The session cookie: bounded flash messages, and a session too large for its cookie never breaks
a response."""
from pyramid.response import Response
from pyramid.session import SignedCookieSessionFactory
from pyramid.testing import DummyRequest

from portal.core.security import MAX_FLASH_BYTES, MAX_FLASH_MESSAGES, CompactJSONSerializer, bounded, shortened

Session = bounded(SignedCookieSessionFactory("s" * 64, cookie_name="portal_session",
                                             serializer=CompactJSONSerializer()))


def stored(session) -> str:
    response = Response()
    session._set_cookie(response)
    return response.headers["Set-Cookie"]


def test_a_flash_queue_keeps_only_the_newest_messages_each_cut_to_length():
    session = Session(DummyRequest())
    for n in range(50):
        session.flash(f"message {n} " + "长" * 500)
    kept = session.peek_flash()
    assert len(kept) == MAX_FLASH_MESSAGES
    assert kept[-1].startswith("message 49 ") and kept[0].startswith(f"message {50 - MAX_FLASH_MESSAGES} ")
    assert all(len(m.encode("utf-8")) <= MAX_FLASH_BYTES and m.endswith("…") for m in kept)
    assert len(stored(session)) < 2500


def test_shortened_keeps_short_messages_and_cuts_on_a_character_boundary():
    assert shortened("Saved.") == "Saved."
    cut = shortened("保存" * 200)
    assert cut.endswith("…") and len(cut.encode("utf-8")) <= MAX_FLASH_BYTES
    cut.encode("utf-8").decode("utf-8")  # still valid text


def test_a_session_too_large_for_its_cookie_drops_flash_then_everything_but_never_raises():
    session = Session(DummyRequest())
    session["officer_id"] = 7
    session.flash("Saved.")
    dict.__setitem__(session, "_f_other", ["x" * 5000])  # as if a queue had escaped the bounds
    cookie = stored(session)
    assert "officer_id" in session and "_f_other" not in session and len(cookie) < 4096
    session["huge"] = "y" * 10000  # nothing the portal stores, but it must not become a bare 500
    cookie = stored(session)
    assert dict(session) == {} and cookie.startswith("portal_session=")


def test_a_cookie_the_serializer_cannot_read_starts_a_new_session():
    request = DummyRequest(cookies={"portal_session": "not-a-signed-value"})
    assert dict(Session(request)) == {}
