"""CAP 1.2 (OASIS Common Alerting Protocol) messages for notices.

A notice's first message is an Alert; a later change is an Update and closing a missing-person
appeal is a Cancel, both referencing the first Alert. Each message has its own identifier."""
import json
import xml.etree.ElementTree as ET

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


def cap_time(value) -> str:
    # CAP 1.2 forbids "Z": UTC is written "-00:00".
    return value.strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def identifier(notice, at) -> str:
    return f"notice-{notice.id}-{int(at.timestamp())}"


def message_type(notice, closed: bool) -> str:
    if closed:
        return "Cancel"
    if notice.updated_at and notice.published_at and (notice.updated_at - notice.published_at).total_seconds() > 60:
        return "Update"
    return "Alert"


def _sub(parent, tag, text=None):
    element = ET.SubElement(parent, f"{{{CAP}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _area(info, notice, place_name):
    area = _sub(info, "area")
    details = notice.missing_person
    _sub(area, "areaDesc", (details.last_seen_place if details and details.last_seen_place else place_name))
    if details is not None and details.last_seen_lat is not None and details.last_seen_lon is not None:
        _sub(area, "circle", f"{details.last_seen_lat},{details.last_seen_lon} {LAST_SEEN_RADIUS_KM}")
    elif notice.unit.jurisdiction:
        _sub(area, "polygon", _cap_polygon(json.loads(notice.unit.jurisdiction)))


def _cap_polygon(geometry) -> str:
    """CAP wants "lat,lon" pairs of one closed ring; use the outer ring of the first polygon."""
    rings = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
    return " ".join(f"{lat},{lon}" for lon, lat in rings[0])


def alert(notice, *, sender: str, web: str, closed: bool, unit_names: dict) -> bytes:
    """The CAP message for the notice's current state. Closed appeals carry no personal data."""
    msg_type = message_type(notice, closed)
    sent_at = notice.updated_at if msg_type != "Alert" else notice.published_at
    root = ET.Element(f"{{{CAP}}}alert")
    _sub(root, "identifier", identifier(notice, sent_at))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(sent_at))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "scope", "Public")
    if msg_type != "Alert":
        _sub(root, "references", f"{sender},{identifier(notice, notice.published_at)},{cap_time(notice.published_at)}")
    for language, index in (("zh-CN", 0), ("en-US", 1)):
        info = _sub(root, "info")
        _sub(info, "language", language)
        _sub(info, "category", CATEGORY[notice.kind])
        _sub(info, "event", EVENT[notice.kind][index])
        _sub(info, "urgency", "Past" if closed else ("Immediate" if notice.kind == "missing_person" else "Expected"))
        _sub(info, "severity", "Minor" if closed else SEVERITY[notice.kind])
        _sub(info, "certainty", "Observed")
        unit_name = unit_names[language]
        _sub(info, "senderName", unit_name)
        if closed:
            _sub(info, "headline", ("此寻人启事已结束" if index == 0 else "This appeal has been closed"))
            _sub(info, "description", "感谢大家的关注和帮助。" if index == 0 else "Thank you to everyone who helped.")
        else:
            _sub(info, "headline", notice.title[:160])
            _sub(info, "description", notice.body)
            _sub(info, "instruction", "如有线索请拨打110。" if index == 0 else "If you have information, call 110.")
        _sub(info, "web", web)
        _sub(info, "contact", f"{unit_name} {notice.unit.phone_110} / 110")
        if not closed:
            _area(info, notice, unit_name)
    # Our namespace as the default, set per document: a process-wide register_namespace("") would
    # be taken over by whichever of the feed modules registered last.
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP)
