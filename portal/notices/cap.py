"""CAP 1.2 (OASIS Common Alerting Protocol) messages for notices.

A notice's first message is an Alert; a later change (or the next period of an alert without an
expiry time) is an Update; a notice leaving the public site (retracted, expired, resolved, an appeal
closed) is a Cancel. Updates and Cancels reference the first Alert. Each message has its own
identifier and an <expires>."""
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.notices import places

CAP = "urn:oasis:names:tc:emergency:cap:1.2"

CATEGORY = {"missing_person": "Rescue", "wanted": "Security", "lost_found": "Other",
            "case_appeal": "Security", "vehicle": "Security", "reward_task": "Security"}
SEVERITY = {"missing_person": "Severe", "wanted": "Severe", "lost_found": "Minor",
            "case_appeal": "Moderate", "vehicle": "Moderate", "reward_task": "Moderate"}
EVENT = {  # (Chinese, English)
    "missing_person": ("寻人启事", "Missing person"), "wanted": ("通缉", "Wanted suspect"),
    "lost_found": ("失物招领", "Lost and found"), "case_appeal": ("案件征集线索", "Case appeal"),
    "vehicle": ("协查车辆", "Wanted vehicle"), "reward_task": ("悬赏通告", "Reward"),
}
LAST_SEEN_RADIUS_KM = 5
# What a Cancel says (nothing of the notice itself): (Chinese, English) per state it ended in.
ENDED = {
    "closed_appeal": (("此寻人启事已结束", "This appeal has been closed"),
                      ("感谢大家的关注和帮助。", "Thank you to everyone who helped.")),
    "retracted": (("此通告已撤回", "This notice has been withdrawn"),
                  ("此通告已不再有效，请勿再依据它采取行动。", "This notice is no longer valid; do not act on it.")),
    "ended": (("此通告已结束", "This notice has ended"),
              ("此通告已不再有效。感谢大家的关注。", "This notice is no longer in force. Thank you for your help.")),
}


def cap_time(value) -> str:
    # CAP 1.2 forbids "Z" and fractions of a second: UTC is written "-00:00".
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def identifier(notice, at) -> str:
    return f"notice-{notice.id}-{int(at.timestamp())}"


@dataclass(frozen=True)
class Message:
    """Which CAP message stands for the notice now: its type, when it was sent and until when it holds."""

    msg_type: str  # Alert, Update or Cancel
    sent: datetime
    expires: datetime

    @property
    def cancel(self) -> bool:
        return self.msg_type == "Cancel"


def ended_at(notice, now) -> datetime | None:
    """When the notice left the public site, or None while it is public (or was never public). A
    published notice past its expiry time has left, even before the worker marks it expired."""
    if notice.state == "published":
        return notice.expires_at if notice.expires_at is not None and notice.expires_at <= now else None
    return notice.ended_at if notice.published_at is not None else None


def message(notice, now, *, horizon: timedelta, cancel_for: timedelta) -> Message | None:
    """The notice's current message; None for a notice with no alert (never public).

    A notice that left the public site is a Cancel, sent when it left and held for `cancel_for` (how
    long it stays in the feed). A public one is the first Alert, or an Update once it was changed;
    it expires at the notice's expiry time, or else `horizon` after it was sent: a notice still public
    then is sent again as an Update for the next period, so no consumer keeps it past its end."""
    ended = ended_at(notice, now)
    if ended is not None:
        return Message("Cancel", ended, ended + cancel_for)
    if notice.state != "published" or notice.published_at is None:
        return None
    changed = notice.updated_at and (notice.updated_at - notice.published_at).total_seconds() > 60
    sent = notice.updated_at if changed else notice.published_at
    if notice.expires_at is not None:
        return Message("Update" if changed else "Alert", sent, notice.expires_at)
    sent += horizon * max(0, (now - sent) // horizon)
    return Message("Alert" if sent == notice.published_at else "Update", sent, sent + horizon)


def _sub(parent, tag, text=None):
    element = ET.SubElement(parent, f"{{{CAP}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _area(info, notice, place_name):
    area = _sub(info, "area")
    details = notice.missing_person
    _sub(area, "areaDesc", (details.last_seen_place if details and details.last_seen_place else place_name))
    point = places.public_point(details)  # as coarse as the public page's: never finer
    if point is not None:
        _sub(area, "circle", f"{point['lat']},{point['lon']} {LAST_SEEN_RADIUS_KM}")
    elif notice.unit.jurisdiction:
        _sub(area, "polygon", _cap_polygon(json.loads(notice.unit.jurisdiction)))


def _cap_polygon(geometry) -> str:
    """CAP wants "lat,lon" pairs of one closed ring; use the outer ring of the first polygon."""
    rings = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
    return " ".join(f"{lat},{lon}" for lon, lat in rings[0])


def _ending(notice) -> str:
    if notice.kind == "missing_person":
        return "closed_appeal"
    return "retracted" if notice.state == "retracted" else "ended"


def _resource(info, resource: dict) -> None:
    """A photo as CAP 1.2 <resource>: in its order, with the SHA-1 <digest> CAP names."""
    element = _sub(info, "resource")
    _sub(element, "resourceDesc", resource["description"])
    _sub(element, "mimeType", resource["mime_type"])
    if resource.get("size") is not None:
        _sub(element, "size", resource["size"])
    _sub(element, "uri", resource["uri"])
    if resource.get("digest"):
        _sub(element, "digest", resource["digest"])


def alert(notice, current: Message, *, sender: str, web: str, unit_names: dict, resources=()) -> bytes:
    """The CAP message `current` (see `message`) of the notice, with `resources` (its photos: dicts
    of description, mime_type, size, uri, digest). A Cancel carries nothing of the notice but its
    kind and unit: no title, text, person, place or photo."""
    closed = current.cancel
    root = ET.Element(f"{{{CAP}}}alert")
    _sub(root, "identifier", identifier(notice, current.sent))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(current.sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", current.msg_type)
    _sub(root, "scope", "Public")
    if current.msg_type != "Alert":
        # CAP 1.2: "sender,identifier,sent" of the message this one updates or cancels.
        _sub(root, "references", f"{sender},{identifier(notice, notice.published_at)},{cap_time(notice.published_at)}")
    for language, index in (("zh-CN", 0), ("en-US", 1)):
        info = _sub(root, "info")
        _sub(info, "language", language)
        _sub(info, "category", CATEGORY[notice.kind])
        _sub(info, "event", EVENT[notice.kind][index])
        _sub(info, "urgency", "Past" if closed else ("Immediate" if notice.kind == "missing_person" else "Expected"))
        _sub(info, "severity", "Minor" if closed else SEVERITY[notice.kind])
        _sub(info, "certainty", "Observed")
        _sub(info, "expires", cap_time(current.expires))
        unit_name = unit_names[language]
        _sub(info, "senderName", unit_name)
        if closed:
            headline, description = ENDED[_ending(notice)]
            _sub(info, "headline", headline[index])
            _sub(info, "description", description[index])
        else:
            _sub(info, "headline", notice.title[:160])
            _sub(info, "description", notice.body)
            _sub(info, "instruction", "如有线索请拨打110。" if index == 0 else "If you have information, call 110.")
        _sub(info, "web", web)
        _sub(info, "contact", f"{unit_name} {notice.unit.phone_110} / 110")
        if not closed:
            for resource in resources:
                _resource(info, resource)
            _area(info, notice, unit_name)
    # Our namespace as the default, set per document: a process-wide register_namespace("") would
    # be taken over by whichever of the feed modules registered last.
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP)
