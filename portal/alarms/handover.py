"""What another domain hands to the police with an alarm it raised: a trip guardian's alarm hands over
the trip's track and photos. Alarms sit below those domains and never import them; each registers a
source here when its package is imported (portal.tables imports every domain), and the dispatcher's
pages ask every registered source."""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HandoverSource:
    # (dbsession, alarm, limit) -> the newest `limit` points, oldest first (lat, lon, accuracy_m, located_at)
    track: Callable
    # (dbsession, alarm) -> Media rows handed over with the alarm
    photos: Callable
    # (dbsession, media_id) -> the first Alarm that photo was handed over with, or None
    alarm_of_photo: Callable
    # (dbsession, alarm) -> people the police may call about it: [{"id", "label", "sealed", "cipher_label"}]
    # (a trip's guardians); their contacts stay sealed until a dispatcher reveals one with a reason.
    contacts: Callable | None = None


SOURCES: list[HandoverSource] = []


def register(source: HandoverSource) -> HandoverSource:
    if source not in SOURCES:
        SOURCES.append(source)
    return source
