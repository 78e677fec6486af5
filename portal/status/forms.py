"""The /status look-up form: one receipt code."""
import colander
import deform

from portal.core.i18n import _


class StatusLookupSchema(colander.MappingSchema):
    code = colander.SchemaNode(colander.String(), title=_("Receipt code"), validator=colander.Length(1, 64),
                               missing_msg=_("Enter the receipt code."),
                               widget=deform.widget.TextInputWidget(attributes={
                                   "inputmode": "numeric", "autocomplete": "off", "maxlength": "64"}))
