"""The public notice list's filters, from the query string (the same for the page and the API)."""
import re
from datetime import date

import colander

from portal.core.i18n import _
from portal.notices.models import NOTICE_KINDS, SEXES

FIELDS = ("kind", "region", "q", "sex", "age_min", "age_max", "since")


def _not_upside_down(node, value):
    if value.get("age_min") is not None and value.get("age_max") is not None and value["age_min"] > value["age_max"]:
        exc = colander.Invalid(node)
        exc["age_max"] = _("The highest age must not be below the lowest.")
        raise exc


class NoticeFilterSchema(colander.MappingSchema):
    kind = colander.SchemaNode(colander.String(), missing=None, title=_("Kind"), validator=colander.OneOf(
        NOTICE_KINDS, msg_err=_("Choose one of these kinds of notice.")))
    region = colander.SchemaNode(colander.String(), missing=None, title=_("Region"),
                                 validator=colander.Regex(r"^[0-9]{6,12}\Z", msg=_("Choose a region from the list.")))
    q = colander.SchemaNode(colander.String(), missing=None, validator=colander.Length(max=50), title=_("Words"))
    sex = colander.SchemaNode(colander.String(), missing=None, title=_("Sex"),
                              validator=colander.OneOf(SEXES, msg_err=_("Choose one of the answers offered.")))
    age_min = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(0, 130),
                                  title=_("Age from"))
    age_max = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(0, 130),
                                  title=_("Age to"))
    since = colander.SchemaNode(colander.Date(), missing=None, title=_("Published since"))
    def validator(self, node, value):
        _not_upside_down(node, value)


def parse_filters(params) -> dict:
    """Validated filters (None where not given); raises colander.Invalid on bad values.
    The list page's form sends every field, empty ones too, so empty means "any" here."""
    raw = {k: params.get(k, "").strip() for k in FIELDS}
    return NoticeFilterSchema().deserialize({k: v if v else colander.null for k, v in raw.items()})


# Exactly what the OpenAPI document (views/openapi.py) says: ASCII digits, ISO days, nothing around them.
STRICT_SHAPES = {"age_min": re.compile(r"-?[0-9]{1,4}"), "age_max": re.compile(r"-?[0-9]{1,4}"),
                 "since": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")}


def parse_api_filters(params) -> dict:
    """The API's filters: a parameter given is checked as the document describes it, so `since=` (empty)
    or ` wanted` is a 400, not "any"; only the words of `q` are trimmed. A lowest age above the highest
    is no error here but a filter that matches no one (the document cannot say it)."""
    schema = NoticeFilterSchema(validator=None)
    invalid = colander.Invalid(schema)
    given = {k: params[k] for k in FIELDS if k in params}
    for name, value in given.items():
        shape = STRICT_SHAPES.get(name)
        if (value == "" and name != "q") or len(value) > 50 or (shape and not shape.fullmatch(value)) or (
                name == "since" and not _is_day(value)):
            invalid[name] = _("Not valid.")
    if invalid.children:
        raise invalid
    given["q"] = given.get("q", "").strip()
    return schema.deserialize({k: given.get(k) or colander.null for k in FIELDS})


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def canonical_query(filters: dict) -> dict:
    """Given filters in a fixed order, so each combination has one stable URL."""
    out = {}
    for key in FIELDS:
        value = filters.get(key)
        if value is not None and value != "":
            out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out
