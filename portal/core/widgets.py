"""Widgets the public forms share: a plain file input for photos and a honeypot field."""
import colander
import deform
from pyramid.renderers import render

from portal.core.i18n import _


class PhotoInputWidget(deform.widget.Widget):
    """A plain `<input type="file">`: works without JavaScript, and phones offer the camera.

    Deform only renders it (browsers never let a page refill a file input); the files are read from
    the request and checked by services/uploads.py, so deserializing yields an empty tuple, never
    null, so the node's type always runs."""

    template = readonly_template = "photo_input"

    def __init__(self, max_count: int = 1, **kw):
        super().__init__(max_count=max_count, **kw)

    def serialize(self, field, cstruct, **kw):
        values = self.get_template_values(field, cstruct, kw)
        request = field.schema.bindings.get("request") if field.schema.bindings else None
        # Resumable uploads (media/resumable): the script that sends the photos in chunks, beside the input.
        values["resumable_script"] = render("_resumable.html", {}, request=request) if request is not None else ""
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        return ()


class HoneypotWidget(deform.widget.TextInputWidget):
    """A field people never see and bots fill in; it brings its own label, hidden with it."""

    template = readonly_template = "honeypot"
    category = "structural"


def honeypot_node(**kw) -> colander.SchemaNode:
    """The honeypot: anything in it means a bot. The view decides what a bot is told."""
    return colander.SchemaNode(colander.String(), name="website", title=_("Leave this field empty"), missing="",
                               widget=HoneypotWidget(), **kw)


def reject_filled_honeypot(node, value):
    if value:
        raise colander.Invalid(node, _("This form could not be accepted. Please leave the last field empty."))

