"""The dispatcher's small hand-written forms on an alarm: a step (with its note or outcome), a message
to the sender, showing the sender's contact (with a reason)."""
import colander

from portal.alarms.raising import MAX_MESSAGE
from portal.core.forms import MAX_REASON  # noqa: F401 - the same reveal form as on sightings
from portal.core.i18n import _
from portal.privacy.forms import reveal_schema  # noqa: F401 - the same reveal form as on sightings

# What each step's text field asks for, and what it says when it is empty.
NEEDS = {
    "dispatch": _("Say who was sent (unit, car, officers)."),
    "close": _("Say how it ended (the outcome)."),
}


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def step_schema(steps) -> colander.SchemaNode:
    """One step open from the alarm's state; dispatching and closing need their text."""
    def needs_text(node, value):
        if value["step"] in NEEDS and not value["reason"]:
            invalid = colander.Invalid(node)
            invalid["reason"] = NEEDS[value["step"]]
            raise invalid

    schema = colander.SchemaNode(colander.Mapping(), validator=needs_text)
    schema.add(colander.SchemaNode(colander.String(), name="step", validator=colander.OneOf(
        list(steps), msg_err=_("Choose one of the buttons on the page."))))
    schema.add(colander.SchemaNode(
        colander.String(), name="reason", missing="", preparer=stripped,
        validator=colander.Length(max=MAX_REASON, max_err=_("Please keep it under ${max} characters."))))
    return schema


def message_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        colander.String(), name="text", preparer=stripped, missing_msg=_("Write a message first."),
        validator=colander.Length(1, MAX_MESSAGE, min_err=_("Write a message first."),
                                  max_err=_("Please keep the message under ${max} characters."))))
    return schema
