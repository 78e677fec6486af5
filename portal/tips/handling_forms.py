"""The staff side of tips: the queue's filters (from the query string) and the small hand-written
forms on a tip's page (a step with its reason, a message, a link, a reward)."""
from datetime import date, datetime, time, timedelta

import colander

from portal.core.forms import MAX_REASON, reason_node, stripped
from portal.core.i18n import _
from portal.core.ids import MAX_ID
from portal.core.localtime import LOCAL_TZ
from portal.tips.handling import DISMISS_OUTCOMES
from portal.tips.models import TIP_OUTCOMES, TIP_STATES

FILTER_FIELDS = ("category", "state", "since", "until", "flagged", "danger", "mine")
FLAGS = ("flagged", "danger", "mine")
MAX_MESSAGE = 4000
MAX_REWARD = 1_000_000  # yuan: above this a reward is not a counter payment
LINK_KINDS = ("duplicate", "related")
# Dates a filter may name: tips exist only since the portal did. Far-off days overflow when turned into
# Beijing-time instants and then UTC (year 1, year 9999), so they are refused with a clear message.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE = _("Give a date between ${first} and ${last}.",
               mapping={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})


def _yes(name):
    return colander.SchemaNode(colander.String(), name=name, missing=False,
                               validator=colander.OneOf(["1"], msg_err=_("Tick the box or leave it empty.")),
                               preparer=stripped)


def _not_upside_down(node, value):
    if value.get("since") and value.get("until") and value["since"] > value["until"]:
        exc = colander.Invalid(node)
        exc["until"] = _("The end date must not be before the start date.")
        raise exc


def in_date_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def _sane_day(node, value):
    if not in_date_range(value):
        raise colander.Invalid(node, DATE_RANGE)


def filter_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), validator=_not_upside_down)
    schema.add(colander.SchemaNode(colander.Integer(), name="category", missing=None,
                                   validator=colander.Range(1, MAX_ID, min_err=_("Choose a category from the list."),
                                                            max_err=_("Choose a category from the list."))))
    schema.add(colander.SchemaNode(colander.String(), name="state", missing=None,
                                   validator=colander.OneOf(TIP_STATES, msg_err=_("Choose a state from the list."))))
    for name in ("since", "until"):
        schema.add(colander.SchemaNode(colander.Date(), name=name, missing=None, validator=_sane_day))
    for name in FLAGS:
        schema.add(_yes(name))
    return schema


def parse_filters(params) -> dict:
    """The queue's filters from the query string (None / False where not given); colander.Invalid
    for a bad value. Dates are days in local time: since from its start, until to its end."""
    raw = {name: params.get(name, "").strip()[:40] for name in FILTER_FIELDS}
    data = filter_schema().deserialize({k: v if v else colander.null for k, v in raw.items()})
    for name in FLAGS:
        data[name] = data[name] == "1"
    return data


def utc_bounds(data: dict) -> tuple[datetime | None, datetime | None]:
    """[since, until) as aware datetimes: the local days the officer typed, whole."""
    since = datetime.combine(data["since"], time.min, LOCAL_TZ) if data.get("since") else None
    until = datetime.combine(data["until"] + timedelta(days=1), time.min, LOCAL_TZ) if data.get("until") else None
    return since, until


def canonical_query(data: dict) -> dict:
    """The filters as a query string, in a fixed order (links keep the filters, paging too)."""
    out = {}
    for name in FILTER_FIELDS:
        value = data.get(name)
        if value is True:
            out[name] = "1"
        elif value not in (None, False, ""):
            out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out


def _version():
    return colander.SchemaNode(colander.Integer(), name="version", missing=None)


def _choice(name, values, message):
    return colander.SchemaNode(colander.String(), name=name, missing_msg=message,
                               validator=colander.OneOf([str(v) for v in values], msg_err=message))


def step_schema(step, *, unit_ids=(), handler_ids=()) -> colander.SchemaNode:
    """One step of the tip workflow as its form sends it; what else a step needs (the unit to send
    it to, the handler, the outcome) is a choice from the lists the page offered."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_version())
    schema.add(reason_node() if step.needs_reason else
               colander.SchemaNode(colander.String(), name="reason", missing="", preparer=stripped,
                                   validator=colander.Length(max=MAX_REASON)))
    if step.name == "transfer":
        schema.add(_choice("unit", unit_ids, _("Choose the unit to send the tip to.")))
    if step.name in ("assign", "reassign"):
        schema.add(_choice("handler", handler_ids, _("Choose a handler from the list.")))
    if step.name == "dismiss":
        schema.add(_choice("outcome", DISMISS_OUTCOMES, _("Choose why the tip is dismissed.")))
    if step.name == "close":
        schema.add(_choice("outcome", TIP_OUTCOMES, _("Choose the outcome.")))
    return schema


def message_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        colander.String(), name="body", preparer=stripped, missing_msg=_("Write the message first."),
        validator=colander.Length(1, MAX_MESSAGE, min_err=_("Write the message first."),
                                  max_err=_("Please keep it under ${max} characters."))))
    return schema


def _whole(name, low, high, message, strip="#"):
    """A whole number as people type it (digits, spaces or a leading # around them); the same
    message for every way of getting it wrong (letters, a fraction, out of range)."""
    def to_int(value):
        value = value.strip().lstrip(strip).strip() if isinstance(value, str) else value
        return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value

    def check(node, value):
        if not isinstance(value, int) or not low <= value <= high:
            raise colander.Invalid(node, message)

    return colander.SchemaNode(colander.String(), name=name, missing_msg=message, preparer=to_int, validator=check)


def _number(name, message):
    return _whole(name, 1, MAX_ID, message)


def tip_link_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_number("number", _("A tip number has digits only.")))
    schema.add(_choice("kind", LINK_KINDS, _("Choose how the tips are linked.")))
    return schema


def notice_link_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_number("number", _("A notice number has digits only.")))
    return schema


def proposal_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    message = _("Give an amount in whole yuan, from 1 to ${max}.", mapping={"max": MAX_REWARD})
    schema.add(_whole("amount", 1, MAX_REWARD, message, strip="¥"))
    schema.add(reason_node())
    return schema


def decision_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_version())
    schema.add(_choice("decision", ("approve", "refuse"), _("Choose one of the buttons on the page.")))
    schema.add(reason_node())
    return schema


RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"
PAYEE_ID = _("Type the number of the identity document the person shows (resident ID card, passport or "
             "travel permit).")


def resident_id_ok(number: str) -> bool:
    """The check character of an 18-character mainland resident ID (GB 11643-1999, ISO 7064 MOD 11-2)."""
    body, check = number[:17], number[17:].upper()
    if len(number) != 18 or not (body.isascii() and body.isdigit()):
        return False
    return RESIDENT_ID_CHECK[sum(int(d) * w for d, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True)) % 11] == check


def _payee_id(node, value):
    """Letters, digits and dashes, 5 to 30 of them; a resident ID's check character must be right (a
    typing error found at the counter, not by an audit months later)."""
    compact = value.replace(" ", "").replace("-", "")
    if not 5 <= len(compact) <= 30 or not compact.isascii() or not compact.isalnum():
        raise colander.Invalid(node, PAYEE_ID)
    if len(compact) == 18 and compact[:17].isdigit() and not resident_id_ok(compact):
        raise colander.Invalid(node, _("This resident ID number is not valid (its last character does not match): "
                                       "check it against the card."))


def payment_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_version())
    schema.add(colander.SchemaNode(
        colander.String(), name="code", preparer=stripped, missing_msg=_("Type the receipt code the person shows."),
        validator=colander.Length(1, 40, min_err=_("Type the receipt code the person shows."),
                                  max_err=_("A receipt code has 16 digits."))))
    schema.add(colander.SchemaNode(colander.String(), name="payee_id", preparer=stripped, missing_msg=PAYEE_ID,
                                   validator=_payee_id))
    schema.add(_whole("amount_paid", 1, MAX_REWARD, _("Give the amount handed over in whole yuan."), strip="¥"))
    return schema
