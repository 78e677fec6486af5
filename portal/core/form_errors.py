"""The error summary of a refused Deform form (templates/deform/form.pt, templates/README.md): one line
per field in error, in the reader's language, linking to the field, so a person on a phone sees at the
top of the form what to correct and gets there in one tap."""
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _

TITLE = _("There is a problem")
HINT = _("Please correct the marked fields.")

# Widgets whose control carries the field's oid as its id: the link lands on (and focuses) the control.
# Any other widget (a group of radio buttons, a map, a list of guardians) is reached through its item.
CONTROL_TEMPLATES = {"textinput", "textarea", "select", "password", "checkbox", "dateinput", "timeinput",
                     "checked_input", "autocomplete_input", "moneyinput", "file_upload", "phone_send",
                     "photo_input", "notice_photos"}


def _translate(term) -> str:
    request = get_current_request()
    return get_localizer(request).translate(term) if request is not None else str(term)


def _target(field) -> str | None:
    """None for a field the page does not show (a hidden check): its line says what, with no link."""
    if field.widget.hidden:
        return None
    if field.children:  # a group (a place: words and a point): its first control
        return next(filter(None, map(_target, field.children)), None)
    if getattr(field.widget, "category", None) == "structural":
        return None
    template = getattr(field.widget, "template", None)
    return field.oid if template in CONTROL_TEMPLATES else f"item-{field.oid}"


def _line(title: str, text: str) -> str:
    """"Name: Required"; a title that is a question keeps its own mark ("Where? Say where...")."""
    if not title:
        return text
    return f"{title} {text}" if title[-1] in "?？:：؟" else f"{title}: {text}"


def summary_lines(form) -> list[tuple[str | None, str]]:
    """(the id to link to, "Field: message") for every field of the form in error, in the form's order."""
    lines = []

    def walk(field):
        for child in field.children:
            if child.error is None:
                continue
            own = child.error.messages() if child.error.msg is not None else []
            for message in own:
                title = _translate(child.title) if child.title else ""
                text = _translate(message)
                lines.append((_target(child), _line(title, text)))
            walk(child)

    walk(form)
    return lines


def summary_title() -> str:
    return _translate(TITLE)


def summary_hint() -> str:
    return _translate(HINT)
