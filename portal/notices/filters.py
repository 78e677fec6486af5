"""The public notice list's filters, from the query string (the same for the page and the API)."""
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
    kind = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(NOTICE_KINDS),
                               title=_("Kind"))
    region = colander.SchemaNode(colander.String(), missing=None, title=_("Region"),
                                 validator=colander.Regex(r"^\d{6,12}$", msg=_("Choose a region from the list.")))
    q = colander.SchemaNode(colander.String(), missing=None, validator=colander.Length(max=50), title=_("Words"))
    sex = colander.SchemaNode(colander.String(), missing=None, validator=colander.OneOf(SEXES), title=_("Sex"))
    age_min = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(0, 130),
                                  title=_("Age from"))
    age_max = colander.SchemaNode(colander.Integer(), missing=None, validator=colander.Range(0, 130),
                                  title=_("Age to"))
    since = colander.SchemaNode(colander.Date(), missing=None, title=_("Published since"))
    def validator(self, node, value):
        _not_upside_down(node, value)


def parse_filters(params) -> dict:
    """Validated filters (None where not given); raises colander.Invalid on bad values."""
    raw = {k: params.get(k, "").strip() for k in FIELDS}
    return NoticeFilterSchema().deserialize({k: v if v else colander.null for k, v in raw.items()})


def canonical_query(filters: dict) -> dict:
    """Given filters in a fixed order, so each combination has one stable URL."""
    out = {}
    for key in FIELDS:
        value = filters.get(key)
        if value is not None and value != "":
            out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out
