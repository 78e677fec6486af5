"""The dispatcher's invitation form: the caller's mobile number, what to share, and the language of
the SMS (and of the page it opens)."""
import re

import colander
import deform

from portal.calls.invitations.models import INVITATION_MODES
from portal.core.forms import stripped
from portal.core.i18n import _

MOBILE = re.compile(r"1[3-9][0-9]{9}\Z")  # a mainland China mobile number, ASCII digits only
_SEPARATORS = re.compile(r"[\s\-().]")
MODE_LABELS = {
    "location": _("Share location"),
    "video": _("Share location and live video"),
    "upload": _("Share location and upload photos"),
}
SMS_LANGUAGES = {"zh_CN": "简体中文", "ug": "ئۇيغۇرچە", "en": "English"}


def mobile_number(value) -> str | None:
    """The 11 digits of a Chinese mobile number written as 138 1234 5678, 138-1234-5678, +86 138…,
    0086 138… or 86138…; None for anything else."""
    if not isinstance(value, str):
        return None
    text = _SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    else:
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
    return text if MOBILE.match(text) else None


def _mobile(node, value):
    if mobile_number(value) is None:
        raise colander.Invalid(node, _("Give a mainland China mobile number: 11 digits starting with 13 to 19 "
                                       "(+86 in front is fine)."))


def invitation_schema():
    schema = colander.SchemaNode(colander.Mapping(), name="invite", title="")
    schema.add(colander.SchemaNode(
        colander.String(), name="phone", title=_("Caller's mobile number"), preparer=stripped,
        validator=colander.All(colander.Length(max=32), _mobile),
        missing_msg=_("Give the caller's mobile number."),
        widget=deform.widget.TextInputWidget(attributes={"inputmode": "tel", "autocomplete": "off"})))
    schema.add(colander.SchemaNode(
        # Deform names the radio buttons after the field's oid (inside a "rename" mapping).
        colander.String(), name="mode", title=_("What to ask for"), default="location", oid="invite-mode",
        validator=colander.OneOf(INVITATION_MODES, msg_err=_("Choose one of the answers offered.")),
        widget=deform.widget.RadioChoiceWidget(values=list(MODE_LABELS.items()))))
    schema.add(colander.SchemaNode(
        colander.String(), name="language", title=_("Language of the text message"), default="zh_CN",
        validator=colander.OneOf(tuple(SMS_LANGUAGES), msg_err=_("Choose one of the answers offered.")),
        widget=deform.widget.SelectWidget(values=list(SMS_LANGUAGES.items()))))
    return schema
