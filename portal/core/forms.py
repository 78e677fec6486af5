"""Colander schemas and Deform forms; Deform renders with our template overrides first."""
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import colander
import deform
import peppercorn
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _
from portal.core.paths import TEMPLATES_DIR
from portal.core.refused import Refused

TEMPLATE_DIR = str(TEMPLATES_DIR / "deform")

MAX_REASON = 2000


def reason_node(min_length=1, min_err=_("Give a reason.")):
    return colander.SchemaNode(colander.String(), name="reason", missing_msg=min_err, preparer=stripped,
                               validator=colander.Length(min_length, MAX_REASON, min_err=min_err,
                                                         max_err=_("Please keep the reason under ${max} characters.")))


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def posted_text(request, name: str, default: str = "") -> str:
    """What a hand-written form sent under `name`, as text: a file part or nothing gives `default`,
    so a malformed post is read for what it does say (an alarm still arrives)."""
    value = request.POST.get(name) if request.method == "POST" else None
    return without_nul(value) if isinstance(value, str) else default


def without_nul(text: str) -> str:
    """No field has a use for NUL, and PostgreSQL text cannot hold it (a 503 and a lost submission)."""
    return text.replace("\x00", "") if "\x00" in text else text


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
    data, failed = validated(request, form)
    return data, (failed.render() if failed is not None else None)


def validated(request, form: deform.Form):
    """(data, None) when the POST is valid; else (None, the form holding what was typed and its
    messages, for a page that renders it itself), and the response becomes a 400."""
    fields = [(name, without_nul(value) if isinstance(value, str) else value) for name, value in request.POST.items()]
    try:
        return form.validate(fields), None
    except deform.ValidationFailure as failure:
        request.response.status_int = 400
        _in_our_words(failure.field)
        return None, failure.field
    except (ValueError, TypeError, colander.Invalid) as exc:
        # Deform's __start__/__end__ markers that do not pair up (peppercorn) or that shape the fields
        # unlike the schema (text where a list of guardians goes): only a forged or cut-off post does
        # that, and Deform cannot even show the form again with it. A 400 page, not a 500.
        raise HTTPBadRequest() from exc


def refilled(request, form: deform.Form) -> str:
    """The form with what was sent, for answers given before or after validation (a rate limit, a
    refused file): the person never types it all again."""
    _refill(request, form)
    return form.render()


def _refill(request, form: deform.Form) -> None:
    """What was sent, back in the form. Markers forged into a shape unlike the schema's (a mapping where
    the contacts' list goes) cannot be shown: the form stays empty, and the answer still says why."""
    pstruct = _parsed(request)
    if pstruct is None:
        return
    try:
        form.set_pstruct(pstruct)
    except (ValueError, TypeError, colander.Invalid):
        form.cstruct = colander.null


def _parsed(request):
    """The posted fields in Deform's nested form, or None when their __start__/__end__ markers do not
    pair up (only a forged or cut-off post does that; peppercorn raises ValueError)."""
    try:
        return peppercorn.parse(request.POST.items())
    except ValueError:
        return None


def typed_values(form: deform.Form) -> dict:
    """What was typed into a form that its template writes by hand, as text per field."""
    return {name: value for name, value in (form.cstruct or {}).items() if isinstance(value, str)}


NOT_TEXT = _("Type this as text: a file cannot go here.")
PSTRUCT_NOT_STRING = "Pstruct is not a string"  # Deform's words for a file part under a text field


def _in_our_words(field) -> None:
    """A file part where text goes: our own words at its field (on a page Deform renders too)."""
    for child in field.children:
        _in_our_words(child)
    if field.error is not None and field.error.msg == PSTRUCT_NOT_STRING:
        field.error.msg = NOT_TEXT


def field_messages(request, form: deform.Form) -> dict:
    """A form's messages per field, translated, for a template that writes the form by hand. A file
    part where text goes gets our own words, not Deform's "Pstruct is not a string"."""
    translate = request.localizer.translate

    def said(msg):
        return translate(NOT_TEXT if msg == PSTRUCT_NOT_STRING else msg)
    return {child.name: "; ".join(said(m) for m in (msg if isinstance(msg, list) else [msg]))
            for child in form.children if (msg := child.errormsg)}


def includeme(config):
    config.add_translation_dirs("colander:locale", "deform:locale")
    deform.Form.set_zpt_renderer(
        [os.path.abspath(TEMPLATE_DIR), deform.template.default_dir], translator=_translate
    )


class FormView:
    """One form page, in the shape of Substance D's FormView: a subclass says which schema, which
    buttons and what each button does; this class does the rest the same way on every page.

    GET shows the form (`appstruct()` fills it). A POST first runs `before(form)` (rate limits,
    anything refused before the fields are read); then the fields are validated: invalid ones come
    back rendered with their messages as a 400; valid ones go to `<button>_success(appstruct)`, which
    returns the response (usually a 303). A `Refused` raised on the way shows the form again filled
    in as it was sent, with the message at its field (or on top of the form) and the refusal's
    status, and dooms the transaction so nothing of it is kept. `page(**values)` gives the template
    its values around the form; `self.failed` says whether the form came back refused or invalid."""

    schema_factory = None  # a callable returning the Colander schema
    buttons: tuple = (("submit", _("Submit")),)
    form_options: dict = {}
    # False where a refusal must still keep what it wrote (a failed sign-in's audit event).
    doom_on_refusal = True

    def __init__(self, context, request):
        self.context, self.request = context, request
        self.failed = False

    def schema(self):
        return self.schema_factory()

    def form(self) -> deform.Form:
        buttons = tuple(deform.Button(name, title) for name, title in self.buttons)
        return make_form(self.request, self.schema(), buttons=buttons, **self.form_options)

    def appstruct(self) -> dict:
        return {}

    def page(self, **values) -> dict:
        return values

    def before(self, form) -> None:
        """Checks before the fields are read; raise Refused to stop."""

    def __call__(self):
        form = self.form()
        if self.request.method != "POST":
            return self.page(form=form.render(self.appstruct()))
        try:
            self.before(form)
            data, invalid = submitted(self.request, form)
            if invalid:
                self.failed = True
                return self.page(form=invalid)
            return getattr(self, f"{self._button()}_success")(data)
        except Refused as refused:
            return self.refused(form, refused)

    def _button(self) -> str:
        names = [name for name, _title in self.buttons]
        return next((name for name in names if name in self.request.POST), names[0])

    def refused(self, form, refused: Refused):
        self.failed = True
        answer_refusal(self.request, refused, doom=self.doom_on_refusal)
        html, error = refused_form(self.request, form, refused)
        return self.page(form=html, error=error) if error is not None else self.page(form=html)


def answer_refusal(request, refused: Refused, *, doom: bool = True) -> None:
    """The response's status (and Retry-After) for a refusal; the transaction doomed so nothing of
    the refused request is kept."""
    tm = getattr(request, "tm", None)
    if tm is not None and doom:
        tm.doom()
    request.response.status_int = refused.status
    if getattr(refused, "retry_after", None):
        request.response.headers["Retry-After"] = str(refused.retry_after)


def refused_form(request, form: deform.Form, refused: Refused, render=None) -> tuple[object, object]:
    """(the form filled in as sent, the message for the top of the page or None): a refusal about one
    of the form's fields is shown at that field. `render` shows the form (Deform's HTML by default)."""
    render = render or (lambda filled: filled.render())
    _refill(request, form)
    if refused.field is not None and refused.field in [child.name for child in form.children]:
        error = colander.Invalid(form.schema)
        error[refused.field] = refused.message
        form.widget.handle_error(form, error)
        return render(form), None
    return render(form), refused.message


@dataclass
class PageForm:
    """One form of a page that holds several (see MultiFormView): its `formid` (what Deform posts as
    `__formid__`), its schema, its buttons as (name, title), and per button name the handler that gets
    the valid appstruct and returns the response."""

    formid: str
    schema_factory: Callable[[], colander.SchemaNode]
    buttons: tuple
    success: dict[str, Callable[[dict], object]]
    appstruct: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # make_form's: action, counter, focus...
    # What the page gets for this form: Deform's HTML by default; a form written by hand in its
    # template takes the Deform form itself (what was typed in `cstruct`, messages in `error`).
    render: Callable[[deform.Form], object] | None = None

    def shown(self, form: deform.Form, appstruct=colander.null):
        if self.render is not None:
            return self.render(form)
        return form.render(appstruct) if appstruct is not colander.null else form.render()

    def form(self, request) -> deform.Form:
        buttons = tuple(deform.Button(name, title) for name, title in self.buttons)
        return make_form(request, self.schema_factory(), buttons=buttons, formid=self.formid, **self.options)


class MultiFormView:
    """A page that holds several forms, each posted on its own: FormView's rules for the one that was
    posted, the others shown fresh.

    `forms()` names the page's forms (PageForm). GET renders them all with their appstructs. A POST
    goes to the form whose `__formid__` it carries and, within it, to the pressed button's handler;
    invalid fields bring that form back with its messages as a 400 and the other forms fresh. A
    `Refused` shows the posted form again filled in as sent, with the message at its field or on top
    of the page, the refusal's status and the transaction doomed. A POST that names none of the forms
    (plain buttons such as "move up") goes to `other_post()`. `page(forms=..., error=...)` gives the
    template its values: `forms` maps each formid to its HTML."""

    doom_on_refusal = True
    NO_FORM = _("Use one of the buttons on this page.")

    def __init__(self, context, request):
        self.context, self.request = context, request
        self.failed = False
        self.posted: PageForm | None = None

    def forms(self) -> list[PageForm]:
        raise NotImplementedError

    def page(self, **values) -> dict:
        return values

    def before(self) -> None:
        """Checks on every POST before any field is read (a stale version); raise Refused to stop."""

    def posted_formid(self):
        """Which form was posted: Deform's own marker; a page of hand-written forms reads its own field."""
        return self.request.POST.get("__formid__")

    def other_post(self):
        """A POST for none of the forms; by default refused."""
        raise Refused(self.NO_FORM, 400)

    def __call__(self):
        specs = self.forms()
        if self.request.method != "POST":
            return self._page(specs)
        formid = self.posted_formid()
        posted = self.posted = next((spec for spec in specs if spec.formid == formid), None)
        form = posted.form(self.request) if posted is not None else None
        try:
            self.before()
            if posted is None:
                return self.other_post()
            data, invalid = validated(self.request, form)
            if invalid is not None:
                self.failed = True
                return self._page(specs, {posted.formid: posted.shown(invalid)})
            pressed = next((name for name, _title in posted.buttons if name in self.request.POST),
                           posted.buttons[0][0])
            return posted.success[pressed](data)
        except Refused as refused:
            self.failed = True
            answer_refusal(self.request, refused, doom=self.doom_on_refusal)
            if form is None:
                return self._page(specs, error=refused.message)
            html, error = refused_form(self.request, form, refused, render=posted.shown)
            return self._page(specs, {posted.formid: html}, error=error)

    def show(self, **values):
        """The page with every form fresh and `values` besides: what a handler answers in place of a
        redirect (a contact shown once, in this response only)."""
        return self._page(self.forms(), **values)

    def _page(self, specs, rendered=None, error=None, **values):
        rendered = rendered or {}
        forms = {spec.formid: rendered[spec.formid] if spec.formid in rendered
                 else spec.shown(spec.form(self.request), spec.appstruct) for spec in specs}
        return self.page(forms=forms, error=error, **values)
