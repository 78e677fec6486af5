"""The tests' throwaway coturn (tests/coturn.py) keeps to its promises: two test runs on one machine
never get the same ports (locked blocks inside PORTAL_TEST_PORTS), and its configuration keeps
everything on 127.0.0.1 and checks the portal's REST API credentials."""
from pathlib import Path

from tests.coturn import BLOCK, Coturn, config_text, port_range, reserve_ports


def test_two_reservations_never_share_a_port_and_a_released_block_is_taken_again():
    first = reserve_ports(BLOCK)
    second = reserve_ports(BLOCK)
    try:
        low, high = port_range()
        assert low <= first.first and second.ports[-1] <= high
        assert not set(first.ports) & set(second.ports)
    finally:
        second.release()
    again = reserve_ports(BLOCK)
    try:
        assert again.first == second.first
    finally:
        again.release()
        first.release()


def test_the_configuration_is_loopback_only_and_checks_the_rest_api_secret(tmp_path):
    server = Coturn(port=7300, min_port=7301, max_port=7319, secret="s" * 40, log=tmp_path / "turn.log")
    lines = config_text(server, Path(tmp_path)).splitlines()
    addresses = [line.split("=", 1)[1] for line in lines if line.split("=", 1)[0] in ("listening-ip", "relay-ip")]
    assert addresses == ["127.0.0.1", "127.0.0.1"]
    assert {"use-auth-secret", f"static-auth-secret={'s' * 40}", "no-tls", "no-dtls", "no-cli",
            "allow-loopback-peers", "min-port=7301", "max-port=7319"} <= set(lines)
    assert not any(line.startswith(("lt-cred-mech", "no-auth", "external-ip")) for line in lines)
    settings = server.portal_settings()
    assert settings["portal.call.turn_urls"] == "turn:127.0.0.1:7300?transport=udp"
    assert (settings["portal.call.turn_secret"], settings["portal.call.relay_only"]) == ("s" * 40, "true")
