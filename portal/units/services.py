"""Creating and changing units; jurisdictions are checked GeoJSON polygons."""
import json

from shapely.geometry import shape
from shapely.validation import explain_validity

from portal.audit import chain as audit
from portal.core import generation
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.units.models import LEVELS, Unit

FIELD = "jurisdiction"


def parse_jurisdiction(text: str | None) -> str | None:
    """Return normalised GeoJSON for a valid Polygon/MultiPolygon in WGS-84, or refuse it."""
    if not text or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Refused(_("The jurisdiction is not valid JSON."), 400, FIELD) from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise Refused(_("The jurisdiction must be a GeoJSON Polygon or MultiPolygon."), 400, FIELD)
    try:
        geometry = shape(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise Refused(_("The jurisdiction's coordinates are malformed."), 400, FIELD) from exc
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Refused(_("The jurisdiction's coordinates must be longitude, latitude in WGS-84."), 400, FIELD)
    if not geometry.is_valid:
        # Shapely's explanation (such as "Self-intersection[116.4 39.9]") is not translated.
        raise Refused(_("The jurisdiction's polygon is not valid: ${problem}",
                        mapping={"problem": explain_validity(geometry)}), 400, FIELD)
    return json.dumps(data, separators=(",", ":"))


UNIT_FIELDS = ("name_zh", "name_en", "name_ug", "phone_110", "sms_suffix", "is_command_center", "jurisdiction")


def create(request, *, parent: Unit, code: str, **fields) -> Unit:
    level = {"province": "city", "city": "county"}.get(parent.level, "county")
    unit = Unit(code=code, parent=parent, path=Unit.make_path(parent, code), level=level)
    for name in UNIT_FIELDS:
        if name in fields:
            setattr(unit, name, fields[name])
    request.dbsession.add(unit)
    request.dbsession.flush()
    audit.record(request, "unit.created", object_type="unit", object_id=unit.id, reason=f"code {code}")
    generation.invalidate(request)
    return unit


def create_top(dbsession, *, code: str, level: str = "province", **fields) -> Unit:
    """The unit at the top of the tree (the province's bureau), made once from the command line
    (portal-create-unit) since every other unit is created under a parent at /staff/units."""
    assert level in LEVELS, level  # the command's choices
    unit = Unit(code=code, parent=None, path=Unit.make_path(None, code), level=level)
    for name in UNIT_FIELDS:
        if name in fields:
            setattr(unit, name, fields[name])
    dbsession.add(unit)
    dbsession.flush()
    audit.append(dbsession, "unit.created", actor="system", object_type="unit", object_id=unit.id,
                 reason=f"code {code}; top unit")
    generation.invalidate_session(dbsession)
    return unit


def update(request, unit: Unit, **fields) -> list[str]:
    changed = [name for name in UNIT_FIELDS if name in fields and getattr(unit, name) != fields[name]]
    for name in changed:
        setattr(unit, name, fields[name])
    if changed:
        audit.record(request, "unit.changed", object_type="unit", object_id=unit.id,
                     reason="changed: " + ", ".join(changed))
        generation.invalidate(request)  # the routing index (the proxies purge by the flush: notices/purge_tags.py)
    return changed
