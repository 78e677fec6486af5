"""Administrators' pages for tip categories: the ordered list, a new category, and one category with
its questions. Each change is a POST with the CSRF token and goes through tips/categories.py,
which checks and audits it."""
import itertools

import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.core.forms import FormView, make_form, refilled, submitted
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.tips import categories as tip_categories
from portal.tips.category_forms import (
    KIND_LABELS,
    CategorySchema,
    category_appstruct,
    category_data,
    question_appstruct,
    question_data,
    question_schema,
)
from portal.tips.models import TipAnswer

CATEGORY_ACTIONS = {"up", "down", "retire", "restore"}
QUESTION_ACTIONS = {"question-up", "question-down", "question-retire", "question-restore"}
DONE = {
    "up": _("Moved up."), "down": _("Moved down."),
    "retire": _("Retired: the form no longer offers it; its tips keep it."),
    "restore": _("Brought back: the form offers it again, at the end of the list."),
    "question-up": _("Moved up."), "question-down": _("Moved down."),
    "question-retire": _("Retired: the form no longer asks it; answers already given stay with their tips."),
    "question-restore": _("Brought back: the form asks it again, at the end."),
}


@view_config(route_name="staff_categories", renderer="staff/categories.html",
             permission=Permission.MANAGE_CATEGORIES)
def category_list(request):
    offered, retired = tip_categories.listing(request.dbsession)
    return {"offered": offered, "retired": retired, "counts": tip_categories.tip_counts(request.dbsession)}


@view_config(route_name="staff_category_new", renderer="staff/form.html", permission=Permission.MANAGE_CATEGORIES)
class NewCategory(FormView):
    schema_factory = CategorySchema
    buttons = (("save", _("Create category")),)

    def page(self, **values):
        return {"heading": _("New tip category"), **values}

    def save_success(self, data):
        request = self.request
        category = tip_categories.create(request, **category_data(data))  # a Refused shows the form again
        request.session.flash(request.localizer.translate(
            _("Category created. It is offered at the end of the list; add its questions below.")))
        return HTTPSeeOther(request.route_path("staff_category", id=category.id))


def _question_in(category, value):
    """The category's question named by a request parameter, or 404."""
    question_id = record_id(value)
    for question in category.questions:
        if question.id == question_id:
            return question
    raise HTTPNotFound()


def _category_form(request, category, fixed_slug):
    schema = CategorySchema()
    if fixed_slug:  # still sent with the form, so the check in the service stays the one rule
        schema["slug"].widget = deform.widget.TextInputWidget(attributes={"readonly": "readonly"})
    # No autofocus: the page holds two forms and starts with the category's name.
    return make_form(request, schema, formid="category", buttons=(deform.Button("save", _("Save")),),
                     action=request.route_path("staff_category", id=category.id), focus="off")


def _question_form(request, category, question, fixed_key):
    schema = question_schema()
    if fixed_key:
        schema["key"].widget = deform.widget.TextInputWidget(attributes={"readonly": "readonly"})
    query = {"question": question.id} if question is not None else {}
    title = _("Save question") if question is not None else _("Add question")
    # Its own range of field ids: the category form on the same page counts from 0.
    return make_form(request, schema, formid="question", buttons=(deform.Button("save", title),),
                     action=request.route_path("staff_category", id=category.id, _query=query),
                     counter=itertools.count(1000), focus="off")


def _page(request, category, editing=None, *, category_form=None, question_form=None, error=None):
    dbsession = request.dbsession
    used = tip_categories.in_use(dbsession, category)
    ids = [q.id for q in category.questions]
    answered = set(dbsession.execute(
        select(TipAnswer.question_id).where(TipAnswer.question_id.in_(ids)).distinct()).scalars()) if ids else set()
    if category_form is None:
        category_form = _category_form(request, category, used).render(category_appstruct(category))
    if question_form is None:
        fixed = editing is not None and editing.id in answered
        question_form = _question_form(request, category, editing, fixed).render(question_appstruct(editing))
    return {"category": category, "in_use": used, "answered": answered, "editing": editing, "error": error,
            "asked": tip_categories.active_questions(category),
            "retired_questions": [q for q in category.questions if q.retired], "kind_labels": KIND_LABELS,
            "category_form": category_form, "question_form": question_form}


@view_config(route_name="staff_category", renderer="staff/category.html", permission=Permission.MANAGE_CATEGORIES)
def category_page(context, request):
    category = context.category
    param = request.GET.get("question", "")
    editing = _question_in(category, param) if param else None
    if request.method != "POST":
        return _page(request, category, editing)
    formid = request.POST.get("__formid__")
    if formid == "category":
        return _save_category(request, category, editing)
    if formid == "question":
        return _save_question(request, category, editing)
    return _act(request, category, editing)


def _refused(request, category, editing, message, status=400, **forms):
    request.tm.doom()
    request.response.status_int = status
    return _page(request, category, editing, error=message, **forms)


def _save_category(request, category, editing):
    form = _category_form(request, category, tip_categories.in_use(request.dbsession, category))
    data, invalid = submitted(request, form)
    if invalid:
        return _page(request, category, editing, category_form=invalid)
    try:
        changed = tip_categories.update(request, category, **category_data(data))
    except Refused as refused:
        return _refused(request, category, editing, refused.message, refused.status,
                        category_form=refilled(request, form))
    request.session.flash(request.localizer.translate(_("Saved.") if changed else _("Nothing was changed.")))
    return HTTPSeeOther(request.route_path("staff_category", id=category.id))


def _save_question(request, category, editing):
    fixed = editing is not None and bool(tip_categories.answered_values(request.dbsession, editing))
    form = _question_form(request, category, editing, fixed)
    data, invalid = submitted(request, form)
    if invalid:
        return _page(request, category, editing, question_form=invalid)
    try:
        if editing is None:
            tip_categories.add_question(request, category, **question_data(data))
            message = _("Question added.")
        else:
            changed = tip_categories.update_question(request, editing, **question_data(data))
            message = _("Saved.") if changed else _("Nothing was changed.")
    except Refused as refused:
        return _refused(request, category, editing, refused.message, refused.status,
                        question_form=refilled(request, form))
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_path("staff_category", id=category.id, _anchor="questions"))


def _act(request, category, editing):
    action = request.POST.get("action", "")
    try:
        if action in CATEGORY_ACTIONS:
            if action in ("up", "down"):
                done = tip_categories.move(request, category, -1 if action == "up" else 1)
            else:
                done = tip_categories.set_retired(request, category, action == "retire")
            target = request.route_path("staff_categories")
        elif action in QUESTION_ACTIONS:
            question = _question_in(category, request.POST.get("question", ""))
            if action in ("question-up", "question-down"):
                done = tip_categories.move_question(request, question, -1 if action == "question-up" else 1)
            else:
                done = tip_categories.set_question_retired(request, question, action == "question-retire")
            target = request.route_path("staff_category", id=category.id, _anchor="questions")
        else:
            return _refused(request, category, editing, _("Use one of the buttons on this page."))
    except Refused as refused:
        return _refused(request, category, editing, refused.message, refused.status)
    request.session.flash(request.localizer.translate(DONE[action] if done else _("Nothing was changed.")))
    return HTTPSeeOther(target)
