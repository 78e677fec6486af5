"""TURN credentials as coturn checks them (use-auth-secret: HMAC-SHA1 of "expiry:label" under the
shared secret, base64), and the configuration each side of a call gets from the settings."""
import base64
import hashlib
import hmac

from portal.calls.ice import configuration, turn_credential

SECRET = "coturn-shared-secret-0123456789abcdef"


def test_the_credential_is_coturns_hmac_of_the_expiry_and_label():
    username, credential = turn_credential(SECRET, "call7c", 600, now=1_800_000_000)
    assert username == "1800000600:call7c"
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"1800000600:call7c", hashlib.sha1).digest()).decode()
    assert credential == expected
    assert turn_credential(SECRET, "call7c", 600, now=1_800_000_001)[1] != credential  # bound to its expiry


def test_without_turn_only_stun_or_host_candidates_are_offered():
    assert configuration({}, "x") == {"iceServers": [], "iceTransportPolicy": "all"}
    assert configuration({"portal.call.stun_urls": "stun:127.0.0.1:3478"}, "x")["iceServers"] == [
        {"urls": ["stun:127.0.0.1:3478"]}]


def test_turn_servers_carry_short_lived_credentials_and_relay_only_is_honoured():
    settings = {"portal.call.turn_urls": "turn:127.0.0.1:3478?transport=udp turn:127.0.0.1:3478?transport=tcp",
                "portal.call.turn_secret": SECRET, "portal.call.turn_ttl": "120", "portal.call.relay_only": "true"}
    config = configuration(settings, "call9d", now=1_000)
    (server,) = config["iceServers"]
    assert server["urls"] == ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"]
    assert server["username"] == "1120:call9d" and config["iceTransportPolicy"] == "relay"
    # relay only without a TURN server would connect nothing: it is ignored
    assert configuration({"portal.call.relay_only": "true"}, "x")["iceTransportPolicy"] == "all"
