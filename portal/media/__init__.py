"""Media: originals kept unchanged as evidence, public copies derived without metadata, storage
behind an interface, and the checks every uploaded file passes (sniffing, cleaning, images)."""
import os

from portal.media import incoming
from portal.media.backends import make_media_store
from portal.media.storage import IMediaStore


def includeme(config):
    media_dir = config.get_settings()["portal.media_dir"]
    # Parts a killed process was writing (reporters' media, unencrypted) go before anything is served;
    # the worker builds this app too, and sweeps again every round (media/jobs.py).
    if os.path.isdir(media_dir):
        incoming.sweep(media_dir)
    store = make_media_store(config.get_settings())  # local disk, or a bucket (portal.media.backend)
    config.registry.registerUtility(store, IMediaStore)
    config.registry["media_store"] = store  # the same store, for code that has only the registry at hand
    config.include(".resumable")  # files sent in chunks before their form (tus)
