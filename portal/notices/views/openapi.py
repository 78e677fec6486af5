"""The OpenAPI 3 description of the public API; tests check every real response against it."""
from portal.core.pagination import CURSOR_PATTERN

STRING_OR_NULL = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
KINDS = ["missing_person", "wanted", "lost_found", "case_appeal", "vehicle", "reward_task"]

UNIT = {
    "type": "object", "additionalProperties": False, "required": ["code", "name", "phone"],
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"}},
}
SUMMARY_PROPERTIES = {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": KINDS},
    "status": {"type": "string", "enum": ["published"]},
    "title": {"type": "string"},
    "unit": {"$ref": "#/components/schemas/Unit"},
    "published_at": TIME,
    "updated_at": TIME,
    "url": {"type": "string", "format": "uri"},
    "thumbnail_url": {"type": ["string", "null"], "format": "uri"},
}
PHOTO = {
    "type": "object", "additionalProperties": False,
    "required": ["main", "url", "thumbnail_url", "width", "height", "alt", "taken_on"],
    "properties": {"main": {"type": "boolean", "description": "The main photo (the first; list cards, poster)."},
                   "url": {"type": "string", "format": "uri"}, "thumbnail_url": {"type": "string", "format": "uri"},
                   "width": {"type": ["integer", "null"]}, "height": {"type": ["integer", "null"]},
                   "alt": {"type": "string"},
                   "taken_on": {"type": ["string", "null"], "format": "date",
                                "description": "The day the photo was taken, as the family or the police say."}},
}
_YEARS = {"type": ["integer", "null"], "minimum": 0, "maximum": 130}
_KG = {"type": ["integer", "null"], "minimum": 1, "maximum": 400}
MISSING_PERSON = {
    "type": ["object", "null"], "additionalProperties": False,
    "required": ["name", "sex", "age", "age_min", "age_max", "height_min_cm", "height_max_cm", "weight_min_kg",
                 "weight_max_kg", "build", "hair", "eyes", "clothing", "distinguishing_marks", "languages",
                 "medical_needs", "last_seen_at", "last_seen_place", "last_seen_point", "vehicle", "circumstances"],
    "properties": {
        "name": {"type": "string"}, "sex": {"type": "string", "enum": ["female", "male", "unknown"]},
        "age": {"type": ["integer", "null"], "deprecated": True,
                "description": "The age when age_min = age_max, else null; read age_min and age_max."},
        "age_min": _YEARS, "age_max": _YEARS, "height_min_cm": {"type": ["integer", "null"]},
        "height_max_cm": {"type": ["integer", "null"]}, "weight_min_kg": _KG, "weight_max_kg": _KG,
        "languages": {"type": "string", "description": "Languages the person speaks."},
        "medical_needs": {"type": ["string", "null"],
                          "description": "Published only when the family agreed; else null (police only)."},
        "vehicle": {"type": "object", "additionalProperties": False, "required": ["make", "model", "colour", "plate"],
                    "description": "A vehicle the person may be travelling in (empty texts when none).",
                    "properties": {"make": {"type": "string"}, "model": {"type": "string"},
                                   "colour": {"type": "string"}, "plate": {"type": "string"}}},
        "build": {"type": "string"}, "hair": {"type": "string"},
        "eyes": {"type": "string"}, "clothing": {"type": "string"}, "distinguishing_marks": {"type": "string"},
        "last_seen_at": TIME_OR_NULL, "last_seen_place": {"type": "string"},
        "last_seen_point": {
            "type": ["object", "null"], "additionalProperties": False,
            "required": ["lat", "lon", "precision", "radius_m"],
            "description": "As precise as the police chose (never exact for a minor); null: the district only.",
            "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                           "lon": {"type": "number", "minimum": -180, "maximum": 180},
                           "precision": {"type": "string", "enum": ["exact", "500m", "2km"]},
                           "radius_m": {"type": ["integer", "null"],
                                        "description": "The point is somewhere within this many metres."}}},
        "circumstances": {"type": "string"},
    },
}
_TEXT = {"type": "string"}
# The fields of the notice's own kind only (e.g. a vehicle's plate); empty for missing persons and appeals.
KIND_DETAILS = {
    "type": "object", "additionalProperties": False,
    "properties": {"reward_amount": {"type": ["integer", "null"], "minimum": 1, "description": "yuan"},
                   "reward_conditions": _TEXT, "vehicle_plate": _TEXT, "vehicle_make": _TEXT,
                   "vehicle_model": _TEXT, "vehicle_colour": _TEXT, "item_description": _TEXT,
                   "found_place": _TEXT, "suspect_description": _TEXT, "caution": _TEXT},
}
VERIFIED = {
    "type": ["object", "null"], "additionalProperties": False, "required": ["unit", "at"],
    "description": ("The badge: the unit whose second officer approved the notice (four eyes), or for a "
                    "missing-person appeal the command center that verified it with the family and the police; "
                    "null for a notice approved before badges were recorded."),
    "properties": {"unit": {"$ref": "#/components/schemas/Unit"}, "at": TIME},
}
ERROR = {
    "type": "object", "additionalProperties": False, "required": ["error"],
    "properties": {"error": {"type": "object", "additionalProperties": False, "required": ["status", "message"],
                             "properties": {"status": {"type": "integer"}, "message": {"type": "string"},
                                            "fields": {"type": "object",
                                                       "additionalProperties": {"type": "string"}}}}},
}


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


FILTERS = [
    _query("kind", {"type": "string", "enum": KINDS}, "Kind of notice."),
    # region: its schema is the enum of the units' codes, filled in by document().
    _query("q", {"type": "string", "maxLength": 50}, "Words in the title, text, name or place."),
    _query("sex", {"type": "string", "enum": ["female", "male", "unknown"]}, "Missing persons only."),
    _query("age_min", {"type": "integer", "minimum": 0, "maximum": 130}, "Missing persons only."),
    _query("age_max", {"type": "integer", "minimum": 0, "maximum": 130}, "Missing persons only."),
    _query("since", {"type": "string", "format": "date"}, "Published on or after this day (UTC)."),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
    _query("cursor", {"type": "string", "pattern": CURSOR_PATTERN},
           "Keyset cursor from next_cursor: the page starts after that position."),
]


def _json(schema_ref, description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def _region(codes) -> dict:
    # With no unit at all, no value is valid (an empty enum is not allowed in JSON Schema).
    schema = {"type": "string", "enum": list(codes)} if codes else {"not": {}}
    return _query("region", schema, "Unit code (see /units.geojson); includes the units below it.")


def document(server_url: str, region_codes=()) -> dict:
    """The document; `region_codes` are the units' codes, the exact values `region` accepts."""
    filters = [FILTERS[0], _region(region_codes), *FILTERS[1:]]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Safety Portal public notices API", "version": "1.0.0",
                 "description": "Notices verified and published by the police. Read-only, no authentication."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/v1/notices": {"get": {
                "summary": "Published notices, newest first", "operationId": "listNotices", "parameters": filters,
                "responses": {"200": _json("#/components/schemas/NoticePage", "A page of notices."),
                              "400": _json("#/components/schemas/Error", "A filter or the cursor is not valid.")}}},
            "/api/v1/notices/{id}": {"get": {
                "summary": "One notice", "operationId": "getNotice",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {
                    "200": {"description": "The notice, or only that a missing-person appeal was closed.",
                            "content": {"application/json": {"schema": {"oneOf": [
                                {"$ref": "#/components/schemas/Notice"},
                                {"$ref": "#/components/schemas/ClosedNotice"}]}}}},
                    "404": _json("#/components/schemas/Error", "No such published notice.")}}},
        },
        "components": {"schemas": {
            "Unit": UNIT,
            "NoticeSummary": {"type": "object", "additionalProperties": False, "required": list(SUMMARY_PROPERTIES),
                              "properties": SUMMARY_PROPERTIES},
            "Notice": {"type": "object", "additionalProperties": False,
                       "required": [*SUMMARY_PROPERTIES, "text", "photos", "poster_url", "missing_person",
                                    "kind_details", "verified", "expires_at"],
                       "properties": {**SUMMARY_PROPERTIES, "text": {"type": "string"},
                                      "photos": {"type": "array", "items": {"$ref": "#/components/schemas/Photo"}},
                                      "poster_url": {"type": "string", "format": "uri"},
                                      "missing_person": {"$ref": "#/components/schemas/MissingPerson"},
                                      "kind_details": KIND_DETAILS,
                                      "verified": VERIFIED,
                                      "expires_at": TIME_OR_NULL}},
            "ClosedNotice": {"type": "object", "additionalProperties": False, "required": ["id", "kind", "status"],
                             "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": KINDS},
                                            "status": {"type": "string", "enum": ["closed"]}}},
            "Photo": PHOTO,
            "MissingPerson": MISSING_PERSON,
            "NoticePage": {"type": "object", "additionalProperties": False,
                           "required": ["items", "next_cursor", "next_url"],
                           "properties": {"items": {"type": "array",
                                                    "items": {"$ref": "#/components/schemas/NoticeSummary"}},
                                          "next_cursor": {"type": ["string", "null"], "pattern": CURSOR_PATTERN},
                                          "next_url": {"type": ["string", "null"], "format": "uri"}}},
            "Error": ERROR,
        }},
    }
