"""Forms of the administrators for tip categories and their questions, in every language.

Choices are a fixed set of plain rows (no JavaScript, no inline script under the CSP): the page
offers the existing choices plus a few empty rows; empty rows are ignored."""
import colander
import deform
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _
from portal.core.refused import Refused
from portal.tips.categories import KEY, SLUG, check_choices
from portal.tips.models import QUESTION_KINDS

# Form field suffix per language (units use the same: name_zh, name_en, name_ug).
SUFFIX = {"zh_CN": "zh", "en": "en", "ug": "ug"}
HTML_LANG = {"zh_CN": ("zh-Hans", "ltr"), "en": ("en", "ltr"), "ug": ("ug", "rtl")}
KIND_LABELS = {"text": _("Text"), "choice": _("Choice"), "date": _("Date"), "number": _("Number")}
SPARE_CHOICE_ROWS = 3


def _translate(term) -> str:
    request = get_current_request()
    return request.localizer.translate(term) if request is not None else str(term)


def _text(name, title, max_length, lang, *, required=True, rows=0, description=None):
    html_lang, direction = HTML_LANG[lang]
    attributes = {"lang": html_lang, "dir": direction, "maxlength": str(max_length)}
    widget = (deform.widget.TextAreaWidget(rows=rows, attributes=attributes) if rows
              else deform.widget.TextInputWidget(attributes=attributes))
    return colander.SchemaNode(
        colander.String(), name=name, title=title, description=description, widget=widget,
        missing=colander.required if required else "",
        validator=colander.Length(1 if required else 0, max_length))


def texts(data: dict, prefix: str) -> dict:
    """{"zh_CN": ..., "en": ..., "ug": ...} from the form fields prefix_zh, prefix_en, prefix_ug."""
    return {lang: data.get(f"{prefix}_{suffix}", "") for lang, suffix in SUFFIX.items()}


def fields(prefix: str, values: dict) -> dict:
    """The other way: form fields from a per-language dict."""
    return {f"{prefix}_{suffix}": (values or {}).get(lang, "") for lang, suffix in SUFFIX.items()}


class CategorySchema(colander.MappingSchema):
    slug = colander.SchemaNode(
        colander.String(), title=_("Short name (in web addresses and exports)"),
        description=_("a-z, 0-9 and dashes, such as drugs. It stays fixed once tips use the category."),
        validator=colander.All(colander.Length(1, 40),
                               colander.Regex(SLUG, msg=_("Up to 40 of a-z, 0-9 and single dashes."))),
        widget=deform.widget.TextInputWidget(attributes={"maxlength": "40", "spellcheck": "false"}))
    name_zh = _text("name_zh", _("Name (Chinese)"), 80, "zh_CN")
    name_en = _text("name_en", _("Name (English)"), 80, "en")
    name_ug = _text("name_ug", _("Name (Uyghur)"), 80, "ug")
    description_zh = _text("description_zh", _("One-line description (Chinese)"), 300, "zh_CN", required=False,
                           rows=2)
    description_en = _text("description_en", _("One-line description (English)"), 300, "en", required=False,
                           rows=2)
    description_ug = _text("description_ug", _("One-line description (Uyghur)"), 300, "ug", required=False,
                           rows=2)
    danger = colander.SchemaNode(
        colander.Boolean(), title=_("Signals immediate danger"), missing=False,
        description=_("Choosing this category shows the reporter a prominent \"call 110 now\" panel."))


def category_data(data: dict) -> dict:
    """Keyword arguments for services.tip_categories.create/update from a valid form."""
    return {"slug": data["slug"], "names": texts(data, "name"), "descriptions": texts(data, "description"),
            "danger": data["danger"]}


def category_appstruct(category) -> dict:
    return {"slug": category.slug, "danger": category.danger, **fields("name", category.names),
            **fields("description", category.descriptions)}


class ChoiceRowsWidget(deform.widget.SequenceWidget):
    """A fixed set of choice rows drawn like the trip form's guardian slots (templates/deform/
    guardian_sequence.pt): plain HTML, no add button, no script."""

    template = "guardian_sequence"
    item_template = "guardian_item"
    hidden = True  # the sequence template shows its own title, description and errors

    def item_title(self, number: int) -> str:
        return _translate(_("Choice ${n}", mapping={"n": number}))

    def add_title(self) -> str:
        return _translate(_("Save to get more empty rows"))


def is_blank(row: dict) -> bool:
    return not (row.get("value") or row.get("danger") or any(row.get(f"label_{s}") for s in SUFFIX.values()))


def _row_complete(node, row):
    if is_blank(row):
        return
    error = colander.Invalid(node)
    if not row.get("value"):
        error["value"] = _("Give this choice a value, such as dealing.")
    for suffix in SUFFIX.values():
        if not row.get(f"label_{suffix}"):
            error[f"label_{suffix}"] = _("Give this choice a label in this language.")
    if error.children:
        raise error


def _choice_row():
    row = colander.SchemaNode(colander.Mapping(), name="choice", validator=_row_complete)
    row.add(colander.SchemaNode(
        colander.String(), name="value", title=_("Value (a-z, 0-9, _ and -; stored with the answers)"), missing="",
        validator=colander.Length(max=40),
        widget=deform.widget.TextInputWidget(attributes={"maxlength": "40", "spellcheck": "false"})))
    for lang, suffix in SUFFIX.items():
        title = {"zh_CN": _("Label (Chinese)"), "en": _("Label (English)"), "ug": _("Label (Uyghur)")}[lang]
        row.add(_text(f"label_{suffix}", title, 120, lang, required=False))
    row.add(colander.SchemaNode(colander.Boolean(), name="danger", missing=False,
                                title=_("Signals immediate danger (shows the \"call 110 now\" panel)")))
    return row


def choices_and_danger(data: dict) -> tuple[list[dict], list[str]]:
    rows = [r for r in data.get("choices") or [] if not is_blank(r)]
    choices = [{"value": r["value"].strip(), "labels": texts(r, "label")} for r in rows]
    return choices, [r["value"].strip() for r in rows if r.get("danger")]


def _choices_fit_kind(form, data):
    choices, danger = choices_and_danger(data)
    try:
        check_choices(data["kind"], choices, danger)
    except Refused as refused:
        error = colander.Invalid(form)
        error[refused.field or "choices"] = refused.message
        raise error from None


def question_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), validator=_choices_fit_kind)
    schema.add(colander.SchemaNode(
        colander.String(), name="key", title=_("Key (stored with the answers)"),
        description=_("a-z, 0-9 and _, starting with a letter, such as activity. Fixed once tips answer it."),
        validator=colander.All(colander.Length(1, 40), colander.Regex(
            KEY, msg=_("Up to 40 of a-z, 0-9 and _, starting with a letter."))),
        widget=deform.widget.TextInputWidget(attributes={"maxlength": "40", "spellcheck": "false"})))
    schema.add(_text("question_zh", _("Question (Chinese)"), 200, "zh_CN"))
    schema.add(_text("question_en", _("Question (English)"), 200, "en"))
    schema.add(_text("question_ug", _("Question (Uyghur)"), 200, "ug"))
    schema.add(colander.SchemaNode(
        colander.String(), name="kind", title=_("Kind of answer"),
        validator=colander.OneOf(QUESTION_KINDS, msg_err=_("Choose a kind from the list.")),
        widget=deform.widget.SelectWidget(values=list(KIND_LABELS.items()))))
    schema.add(colander.SchemaNode(colander.Boolean(), name="required", title=_("An answer is required"),
                                   missing=False))
    schema.add(colander.SchemaNode(
        colander.Sequence(), _choice_row(), name="choices", title=_("Choices (for choice questions)"),
        description=_("One choice per row; leave rows empty that you do not need. Tick the choices that mean "
                      "someone is in danger right now."),
        missing=[], widget=ChoiceRowsWidget()))
    return schema


def question_data(data: dict) -> dict:
    """Keyword arguments for services.tip_categories.add_question/update_question."""
    choices, danger = choices_and_danger(data)
    return {"key": data["key"], "kind": data["kind"], "required": data["required"],
            "labels": texts(data, "question"), "choices": choices, "danger_values": danger}


def blank_row() -> dict:
    return {"value": "", "danger": False, **{f"label_{s}": "" for s in SUFFIX.values()}}


def question_appstruct(question=None) -> dict:
    """The form's values for a question (None: a new one), with a few empty choice rows to fill in."""
    rows = []
    if question is not None:
        rows = [{"value": c["value"], "danger": c["value"] in (question.danger_values or []),
                 **fields("label", c.get("labels"))} for c in question.choices or []]
    rows += [blank_row() for _i in range(SPARE_CHOICE_ROWS)]
    if question is None:
        return {"kind": "text", "required": False, "choices": rows}
    return {"key": question.key, "kind": question.kind, "required": question.required,
            **fields("question", question.labels), "choices": rows}

