"""The proof-of-work field of a public form (services/pow.py checks it, static/js/pow.js solves it).

The widget renders a fresh challenge every time, also when a form comes back with its messages,
so a challenge is never offered twice. It sends ``challenge:nonce`` as the node's value: the nonce
is empty when the browser ran no JavaScript."""
import colander
import deform
from pyramid.interfaces import IRoutesMapper
from pyramid.threadlocal import get_current_request

from portal.abuse import pow as pow_service
from portal.core.i18n import _

# Words for the script, rendered in the page's language into data-* attributes.
POW_MESSAGES = {
    "preparing": _("Preparing the form… The send button is ready in a few seconds."),
    "ready": _("The form is ready to send."),
}
CHALLENGE_FIELD = "pow_challenge"
NONCE_FIELD = "pow_nonce"


class PowWidget(deform.widget.Widget):
    """templates/deform/pow.pt: the challenge (hidden, and as data attributes for the script), an
    empty nonce the script fills in, a status line the script shows, and the script itself."""

    template = readonly_template = "pow"
    hidden = True  # no label, no help text: there is nothing for a person to do here
    category = "structural"
    bits = None  # a callable (request -> difficulty) for forms whose difficulty changes; else the setting's

    def serialize(self, field, cstruct, **kw):
        request = (field.schema.bindings or {}).get("request") or get_current_request()
        translate = request.localizer.translate if request is not None else str
        routed = request is not None and request.registry.queryUtility(IRoutesMapper) is not None
        bits = self.bits(request) if self.bits is not None and request is not None else None
        challenge = pow_service.issue(request, bits=bits)  # never what was sent: each rendering gets its own
        values = self.get_template_values(field, cstruct, kw)
        values.update(
            challenge=challenge,
            bits=challenge.split(".")[3],
            challenge_field=CHALLENGE_FIELD,
            nonce_field=NONCE_FIELD,
            messages={f"data-msg-{key}": translate(text) for key, text in POW_MESSAGES.items()},
            # No work asked (a /status look-up with no wrong codes tried): no script to fetch either.
            script_src=request.static_path("portal:static/js/pow.js") if routed and bits != 0 else "",
        )
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        if not isinstance(pstruct, dict):
            return ""  # missing or mangled: services.pow.verify refuses it with a clear message
        challenge = pstruct.get(CHALLENGE_FIELD)
        nonce = pstruct.get(NONCE_FIELD) or ""
        if not isinstance(challenge, str) or not isinstance(nonce, str):
            return ""
        return f"{challenge}:{nonce}"


def pow_node(bits=None, **kw) -> colander.SchemaNode:
    """The node named "pow"; its value goes to services.pow.verify(request, value) in the view.
    `bits`: a callable (request -> difficulty) where the difficulty is not the setting's."""
    return colander.SchemaNode(colander.String(), name="pow", title=_("Security check"), missing="",
                               widget=PowWidget(bits=bits), **kw)
