"""Secret link tokens never reach a log (issue 10, finding 6): not through the portal's error log, not
through waitress's own log lines, not in a traceback (privacy/log_redaction.py)."""
import logging
import secrets
import socket
import threading
import urllib.error
import urllib.request

import pytest

from portal.privacy import links, log_redaction
from portal.privacy.log_redaction import redact

TOKEN = secrets.token_urlsafe(32)


@pytest.mark.parametrize("text, expected", [
    (f"/alarm/{TOKEN}", "/alarm/<redacted>"),
    (f"/alarm/{TOKEN}/updates?after=3", "/alarm/<redacted>/updates?after=3"),
    (f"/trips/{TOKEN}/photos/4/thumb", "/trips/<redacted>/photos/4/thumb"),
    (f"GET https://portal.example/guard/{TOKEN}x/answer", "GET https://portal.example/guard/<redacted>/answer"),
    (f"/invite/{TOKEN}?lang=ug", "/invite/<redacted>?lang=ug"),
    (f"link {TOKEN}.", "link <redacted>."),
    ("/status?code=1234-5678-9012-3456&lang=en", "/status?code=<redacted>&lang=en"),
    ("/trips/new", "/trips/new"),
    ("/alarm/route?lat=1", "/alarm/route?lat=1"),
    ("/alarm", "/alarm"),
    ("/staff/alarms/12/updates", "/staff/alarms/12/updates"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def test_every_record_is_redacted_whatever_logger_or_handler(app, caplog):
    """The app installs the redaction when it starts; records made after that are clean at birth,
    including their arguments and a logged traceback."""
    caplog.set_level(logging.INFO)
    logging.getLogger("some.library").info("opened %s", f"/guard/{TOKEN}")
    try:
        raise RuntimeError(f"while reading /trips/{TOKEN}")
    except RuntimeError:
        logging.getLogger("portal.x").exception("failed")
    assert TOKEN not in caplog.text
    assert "/guard/<redacted>" in caplog.text and "/trips/<redacted>" in caplog.text


@pytest.mark.parametrize("path", [f"/alarm/{TOKEN}", f"/alarm/{TOKEN}/updates", f"/trips/{TOKEN}",
                                  f"/trips/{TOKEN}/updates", f"/guard/{TOKEN}", f"/guard/{TOKEN}/updates",
                                  f"/invite/{TOKEN}"])
def test_a_failing_secret_link_logs_no_token(testapp, monkeypatch, caplog, path):
    def broken(token):
        raise RuntimeError(f"could not hash {token}")

    monkeypatch.setattr(links, "token_hash", broken)
    caplog.set_level(logging.INFO)
    response = testapp.get(path, status=500)
    assert "110" in response.text  # the portal's own error page
    assert "unhandled RuntimeError" in caplog.text  # the failure was logged ...
    assert TOKEN not in caplog.text  # ... without the token
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")


def free_port() -> int:
    for port in range(7150, 7200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 7150-7199")


def test_waitress_own_log_lines_carry_no_token(app, caplog):
    """Waitress logs the path of a request whose application raised ("Exception while serving
    /alarm/..."): a real waitress server, a real request."""
    from waitress.server import create_server

    log_redaction.install()

    def raising(environ, start_response):
        raise RuntimeError("beyond every exception view")

    server = create_server(raising, host="127.0.0.1", port=free_port(), threads=1)
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.INFO, logger="waitress")
    thread.start()
    try:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.effective_port}/alarm/{TOKEN}/messages", timeout=10)
    finally:
        server.close()
        thread.join(5)
    assert "Exception while serving /alarm/<redacted>/messages" in caplog.text
    assert TOKEN not in caplog.text
