"""Media: originals kept unchanged as evidence, public copies derived without metadata, storage
behind an interface, and the checks every uploaded file passes (sniffing, cleaning, images)."""
from portal.media.storage import LocalMediaStore


def includeme(config):
    config.registry["media_store"] = LocalMediaStore(config.get_settings()["portal.media_dir"])
