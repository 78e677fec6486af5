"""TURN with the portal's own credentials, on a real coturn (tests/coturn.py), in Chromium.

A video alarm's call is started through the portal (POST /alarm/{token}/call, as the caller's page
does); the `ice` it answers (relay only, a short-lived coturn REST credential) configures two
RTCPeerConnections in one page, which send the fake camera one to the other. The selected candidate
pair is relay-to-relay on both sides, frames arrive and play, and every candidate is on 127.0.0.1.
A credential under another secret, or one past its expiry, gets no relay from coturn: coturn itself
checks the HMAC and the time, not only the portal."""
import pytest
from sqlalchemy import select

from portal.calls.ice import turn_credential
from portal.scripts.common import db_session
from portal.units.models import Unit
from tests.browser.conftest import ConsoleWatcher
from tests.factories import make_alarm

CONNECT_MS = 20000

# Two peer connections under one configuration, the first sending the fake camera to the second;
# candidates are passed across directly (the signalling is not what this test is about).
CALL_JS = """async ({ice}) => {
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480, frameRate: 15}});
  const a = new RTCPeerConnection(ice), b = new RTCPeerConnection(ice);
  const call = window.__call = {a, b, candidates: [], errors: []};
  for (const [from, to] of [[a, b], [b, a]]) {
    from.onicecandidate = (e) => { if (e.candidate) { call.candidates.push(e.candidate.candidate);
                                                      to.addIceCandidate(e.candidate); } };
    from.onicecandidateerror = (e) => call.errors.push(`${e.errorCode} ${e.errorText}`);
  }
  const video = call.video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  // In view: Chromium pauses a muted video that autoplays off screen.
  video.style.cssText = "position: fixed; top: 0; left: 0; width: 320px; height: 240px; z-index: 10";
  document.body.append(video);
  b.ontrack = (e) => { video.srcObject = e.streams[0]; video.play(); };
  stream.getTracks().forEach((track) => a.addTrack(track, stream));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
}"""

SELECTED_JS = """async (side) => {
  const stats = await window.__call[side].getStats();
  const all = [...stats.values()];
  const transport = all.find((r) => r.type === "transport" && r.selectedCandidatePairId);
  const pair = transport && stats.get(transport.selectedCandidatePairId);
  const pick = (r) => r && {type: r.candidateType, address: r.address, port: r.port, protocol: r.protocol,
                            relayProtocol: r.relayProtocol || null, url: r.url || null};
  return {state: pair && pair.state, local: pick(pair && stats.get(pair.localCandidateId)),
          remote: pick(pair && stats.get(pair.remoteCandidateId)),
          candidates: all.filter((r) => r.type.endsWith("-candidate")).map(pick)};
}"""

# One peer connection that only gathers, to see what coturn gives a credential.
GATHER_JS = """async ({ice}) => {
  const pc = new RTCPeerConnection(ice), seen = {candidates: [], errors: []};
  pc.onicecandidate = (e) => { if (e.candidate) seen.candidates.push(e.candidate.candidate); };
  pc.onicecandidateerror = (e) => seen.errors.push(`${e.errorCode} ${e.errorText}`);
  pc.createDataChannel("probe");
  const done = new Promise((resolve) => { pc.onicegatheringstatechange = () => {
    if (pc.iceGatheringState === "complete") resolve(); }; });
  await pc.setLocalDescription(await pc.createOffer());
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 15000))]);
  seen.state = pc.iceGatheringState;
  pc.close();
  return seen;
}"""


@pytest.fixture
def call_page(call_browser, relay_server):
    context = call_browser.new_context(locale="en-US")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.goto(relay_server + "/")
    yield page
    context.close()


@pytest.fixture
def video_alarm(app_settings_sqlite, relay_server):
    """A video alarm's token, routed to a county of the demo province."""
    with db_session(app_settings_sqlite) as dbsession:
        unit = dbsession.execute(select(Unit).where(Unit.parent_id.is_not(None)).order_by(Unit.id.desc())
                                 .limit(1)).scalar_one()
        _, token = make_alarm(dbsession, unit, kind="video")
    return token


def start_call(page, token) -> dict:
    """The caller page's own request: POST /alarm/{token}/call from the portal's origin (the browser
    sends Sec-Fetch-Site: same-origin)."""
    return page.evaluate("""async (token) => {
      const r = await fetch(`/alarm/${token}/call`, {method: "POST", headers: {"Accept": "application/json"}});
      return {status: r.status, body: await r.json()};
    }""", token)


def candidate_address(line: str) -> str:
    return line.split()[4]  # candidate:<foundation> <component> <protocol> <priority> <address> <port> typ ...


def test_a_call_connects_through_coturn_relay_only_with_the_portals_credentials(call_page, video_alarm, coturn,
                                                                              relay_server):
    # The camera is allowed on a call alarm's own page only (Permissions-Policy): the test runs there.
    call_page.goto(f"{relay_server}/alarm/{video_alarm}")
    started = start_call(call_page, video_alarm)
    assert started["status"] == 201, started
    ice, call_id = started["body"]["ice"], started["body"]["call"]["id"]
    assert ice["iceTransportPolicy"] == "relay"
    (server,) = ice["iceServers"]
    assert server["urls"] == coturn.urls and server["username"].endswith(f":call{call_id}c")

    call_page.evaluate(CALL_JS, {"ice": ice})
    call_page.wait_for_function("""() => { const c = window.__call;
        return c.a.connectionState === "connected" && c.b.connectionState === "connected"; }""", timeout=CONNECT_MS)
    # Frames arrive and play: the receiving <video> has the camera's size and its time advances.
    call_page.wait_for_function("() => window.__call.video.videoWidth > 0", timeout=CONNECT_MS)
    first = call_page.evaluate("() => window.__call.video.currentTime")
    call_page.wait_for_function(f"() => window.__call.video.currentTime > {first} + 0.5", timeout=CONNECT_MS)
    assert call_page.evaluate("() => [window.__call.video.videoWidth, window.__call.video.videoHeight]") == [640, 480]

    for side in ("a", "b"):
        selected = call_page.evaluate(SELECTED_JS, side)
        assert selected["state"] == "succeeded", selected
        assert selected["local"]["type"] == "relay" and selected["remote"]["type"] == "relay", selected
        assert selected["local"]["relayProtocol"] == "udp" and selected["local"]["url"].startswith(
            f"turn:127.0.0.1:{coturn.port}"), selected
        assert coturn.min_port <= selected["local"]["port"] <= coturn.max_port, selected
        # Every candidate either side knows of, its own and the other's, is on the loopback.
        assert selected["candidates"] and {c["address"] for c in selected["candidates"]} == {"127.0.0.1"}, selected
        assert {c["type"] for c in selected["candidates"]} == {"relay"}, selected
    gathered = call_page.evaluate("() => window.__call.candidates")
    assert gathered and {candidate_address(line) for line in gathered} == {"127.0.0.1"}, gathered
    assert all(" typ relay " in line for line in gathered), gathered
    # coturn allocated for this call's credential (the user name the portal made for the caller).
    assert f"user <{server['username']}>: incoming packet ALLOCATE processed, success" in coturn.log_text()
    assert call_page.console.errors == []


@pytest.mark.parametrize("credential", ["other secret", "expired"])
def test_coturn_refuses_a_credential_it_cannot_verify(call_page, coturn, credential):
    """Under another secret the HMAC does not match; an expired one names a time already past. Either
    way coturn gives no relay, so a relay-only connection has no candidate at all."""
    if credential == "other secret":
        username, password = turn_credential("not-the-static-auth-secret-0123456789", "forged", 600)
    else:
        username, password = turn_credential(coturn.secret, "expired", -120)
    ice = {"iceServers": [{"urls": coturn.urls, "username": username, "credential": password}],
           "iceTransportPolicy": "relay"}
    seen = call_page.evaluate(GATHER_JS, {"ice": ice})
    assert seen["state"] == "complete" and seen["candidates"] == [], seen
    assert seen["errors"] and all(error.startswith("401") for error in seen["errors"]), seen
    # The control: the same page with the portal's own credential does get a relay on 127.0.0.1.
    good, good_password = turn_credential(coturn.secret, "control", 600)
    control = call_page.evaluate(GATHER_JS, {"ice": {**ice, "iceServers": [
        {"urls": coturn.urls, "username": good, "credential": good_password}]}})
    assert control["candidates"] and all(" 127.0.0.1 " in line and " typ relay " in line
                                         for line in control["candidates"]), control
    # coturn's own log: it answered this user name 401 and never allocated for it.
    refused = [line for line in coturn.log_text().splitlines() if f"user <{username}>" in line]
    assert any("error 401" in line for line in refused), refused
    assert not any("ALLOCATE processed, success" in line for line in refused), refused
