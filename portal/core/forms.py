"""Colander schemas and Deform forms; Deform renders with our template overrides first."""
import os

import colander
import deform
import peppercorn
from pyramid.csrf import get_csrf_token
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "templates", "deform")

MAX_REASON = 2000


def reason_node(min_length=1, min_err=_("Give a reason.")):
    return colander.SchemaNode(colander.String(), name="reason", missing_msg=min_err, preparer=stripped,
                               validator=colander.Length(min_length, MAX_REASON, min_err=min_err,
                                                         max_err=_("Please keep the reason under ${max} characters.")))


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def _translate(term):
    request = get_current_request()
    return get_localizer(request).translate(term) if request is not None else term


def make_form(request, schema, *, buttons=("submit",), action="", **kw) -> deform.Form:
    """A Deform form that carries the CSRF token and renders in the request's language."""
    form = deform.Form(schema.bind(request=request), buttons=buttons, action=action, **kw)
    form.csrf_token = get_csrf_token(request)
    return form


def submitted(request, form: deform.Form):
    """(data, None) when the POST is valid; else (None, the form re-rendered with its messages
    and what was typed), and the response becomes a 400."""
    try:
        return form.validate(request.POST.items()), None
    except deform.ValidationFailure as failure:
        request.response.status_int = 400
        return None, failure.render()


def refilled(request, form: deform.Form) -> str:
    """The form with what was sent, for answers given before or after validation (a rate limit, a
    refused file): the person never types it all again."""
    pstruct = _parsed(request)
    if pstruct is not None:
        form.set_pstruct(pstruct)
    return form.render()


def _parsed(request):
    """The posted fields in Deform's nested form, or None when their __start__/__end__ markers do not
    pair up (only a forged or cut-off post does that; peppercorn raises ValueError)."""
    try:
        return peppercorn.parse(request.POST.items())
    except ValueError:
        return None


def includeme(config):
    config.add_translation_dirs("colander:locale", "deform:locale")
    deform.Form.set_zpt_renderer(
        [os.path.abspath(TEMPLATE_DIR), deform.template.default_dir], translator=_translate
    )
