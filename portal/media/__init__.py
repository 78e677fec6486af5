"""Media: originals kept unchanged as evidence, public copies derived without metadata, storage
behind an interface, and the checks every uploaded file passes (sniffing, cleaning, images)."""
from portal.media.storage import IMediaStore, LocalMediaStore


def includeme(config):
    store = LocalMediaStore(config.get_settings()["portal.media_dir"])
    config.registry.registerUtility(store, IMediaStore)
    config.registry["media_store"] = store  # the same store, for code that has only the registry at hand
