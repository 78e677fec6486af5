"""Verified phones where a deployment requires them (`portal.verified_phone` = off | optional |
required): a code by SMS proves the number a tip, a sighting or a family request leaves as its
protected contact. README: "Verified phones"."""
from portal.core.settings import SettingsError
from portal.phones.services import MODE_SETTING, MODES, mode


def includeme(config):
    chosen = mode(config.get_settings())
    if chosen not in MODES:
        raise SettingsError(f"{MODE_SETTING} must be one of {', '.join(MODES)}, not {chosen!r}")
    config.add_route("phone_code", "/phones/code")
    config.scan("portal.phones.views")
