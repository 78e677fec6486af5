"""The ICE servers each side of a call is given: STUN/TURN URLs from the settings and, for TURN,
short-lived credentials under coturn's REST API scheme (`use-auth-secret`): the user name is the
expiry time and a label, the password the base64 HMAC-SHA1 of that user name under the secret
shared with coturn. Nothing is stored; coturn checks the HMAC and the expiry itself.

Settings:
  portal.call.stun_urls   space-separated stun: URLs (may be empty: host candidates only, a LAN)
  portal.call.turn_urls   space-separated turn:/turns: URLs of the TURN server(s)
  portal.call.turn_secret the static-auth-secret of coturn (required when turn_urls is set)
  portal.call.turn_ttl    seconds a credential stays valid (coturn refuses it afterwards)
  portal.call.relay_only  "true": both browsers use the relay only (iceTransportPolicy "relay"),
                          so neither learns the other's address"""
import base64
import hashlib
import hmac
import time


def _urls(value) -> list[str]:
    return [url for url in str(value or "").split() if url]


def turn_credential(secret: str, label: str, ttl: int, *, now: float | None = None) -> tuple[str, str]:
    """(username, credential) for coturn's use-auth-secret: valid until now + ttl."""
    expiry = int(now if now is not None else time.time()) + int(ttl)
    username = f"{expiry}:{label}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def configuration(settings, label: str, *, now: float | None = None) -> dict:
    """The RTCPeerConnection configuration for one side of one call (`label` names it in coturn's log:
    never a name or a number of a person)."""
    servers = []
    stun = _urls(settings.get("portal.call.stun_urls"))
    if stun:
        servers.append({"urls": stun})
    turn, secret = _urls(settings.get("portal.call.turn_urls")), settings.get("portal.call.turn_secret") or ""
    if turn and secret:
        username, credential = turn_credential(secret, label, int(settings.get("portal.call.turn_ttl") or 3600),
                                               now=now)
        servers.append({"urls": turn, "username": username, "credential": credential})
    relay_only = str(settings.get("portal.call.relay_only", "false")).lower() == "true"
    return {"iceServers": servers, "iceTransportPolicy": "relay" if relay_only and turn else "all"}
