"""The /status look-up form: one receipt code, and the proof of work that pays a wait when one is due
(privacy/receipt_throttle.py); no work is asked while no wrong codes have been tried."""
import colander
import deform

from portal.abuse.forms import pow_node
from portal.core.i18n import _
from portal.privacy.receipts import lookup_bits


class StatusLookupSchema(colander.MappingSchema):
    code = colander.SchemaNode(colander.String(), title=_("Receipt code"), validator=colander.Length(1, 64),
                               missing_msg=_("Enter the receipt code."),
                               widget=deform.widget.TextInputWidget(attributes={
                                   "inputmode": "numeric", "autocomplete": "off", "maxlength": "64"}))
    pow = pow_node(bits=lookup_bits)
