"""The officer's small form to see a protected field: a reason long enough to be audited."""
import colander

from portal.core.forms import reason_node
from portal.core.i18n import _
from portal.privacy import protected

MIN_REVEAL_REASON = protected.MIN_REASON_LENGTH


def reveal_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(reason_node(MIN_REVEAL_REASON, _("Give a reason (at least ${min} characters).",
                                            mapping={"min": MIN_REVEAL_REASON})))
    return schema
