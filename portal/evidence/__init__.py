"""Evidence packages: what the portal holds about a tip, a sighting, an alarm or a family's request,
exported as a signed ZIP a court can check without the portal (originals as received, staff copies,
a manifest with sizes, SHA-256, times, capture metadata and the audit events, an Ed25519 signature of
the manifest; `portal-evidence-verify`). Above every domain it reads; nothing imports it."""
from portal.evidence.resources import AlarmEvidence, MissingEvidence, SightingEvidence, TipEvidence

ROUTES = {"tip": ("staff_tip_evidence", r"/staff/tips/{id:\d+}/evidence", TipEvidence),
          "sighting": ("staff_sighting_evidence", r"/staff/sightings/{id:\d+}/evidence", SightingEvidence),
          "alarm": ("staff_alarm_evidence", r"/staff/alarms/{id:\d+}/evidence", AlarmEvidence),
          "missing_request": ("staff_missing_evidence", r"/staff/missing/{id:\d+}/evidence", MissingEvidence)}
PUBLIC_KEY_PEM = "/.well-known/portal-evidence-key.pem"
PUBLIC_KEYS_JWKS = "/.well-known/portal-evidence-keys.json"


def includeme(config):
    for name, pattern, factory in ROUTES.values():
        config.add_route(name, pattern, factory=factory)
    config.add_route("evidence_public_key", PUBLIC_KEY_PEM)
    config.add_route("evidence_public_keys", PUBLIC_KEYS_JWKS)
    config.scan(".views")
