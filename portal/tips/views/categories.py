"""Administrators' pages for tip categories: the ordered list, a new category, and one category with
its questions. Each change is a POST with the CSRF token and goes through tips/categories.py,
which checks and audits it."""
import itertools

import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.core.forms import FormView, MultiFormView, PageForm
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.permissions import Permission
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


@view_config(route_name="staff_category", renderer="staff/category.html", permission=Permission.MANAGE_CATEGORIES)
class CategoryPage(MultiFormView):
    """One category: its names (the category form), its questions (the question form, new or the one
    named by ?question=) and the plain buttons that move, retire and bring back."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.category = context.category
        param = request.GET.get("question", "")
        self.editing = _question_in(self.category, param) if param else None
        dbsession = request.dbsession
        self.in_use = tip_categories.in_use(dbsession, self.category)
        ids = [q.id for q in self.category.questions]
        self.answered = set(dbsession.execute(
            select(TipAnswer.question_id).where(TipAnswer.question_id.in_(ids)).distinct()).scalars()) if ids else set()

    def forms(self):
        category, editing, path = self.category, self.editing, self.request.route_path
        query = {"question": editing.id} if editing is not None else {}
        # No autofocus: the page holds two forms and starts with the category's name.
        return [
            PageForm("category", self._category_schema, (("save", _("Save")),), {"save": self.save_category},
                     category_appstruct(category), {"action": path("staff_category", id=category.id), "focus": "off"}),
            PageForm("question", self._question_schema,
                     (("save", _("Save question") if editing is not None else _("Add question")),),
                     {"save": self.save_question}, question_appstruct(editing),
                     # Its own range of field ids: the category form on the same page counts from 0.
                     {"action": path("staff_category", id=category.id, _query=query), "focus": "off",
                      "counter": itertools.count(1000)}),
        ]

    def _category_schema(self):
        schema = CategorySchema()
        if self.in_use:  # still sent with the form, so the check in the service stays the one rule
            schema["slug"].widget = deform.widget.TextInputWidget(attributes={"readonly": "readonly"})
        return schema

    def _question_schema(self):
        schema = question_schema()
        if self.editing is not None and self.editing.id in self.answered:
            schema["key"].widget = deform.widget.TextInputWidget(attributes={"readonly": "readonly"})
        return schema

    def page(self, forms, error=None):
        category = self.category
        return {"category": category, "in_use": self.in_use, "answered": self.answered, "editing": self.editing,
                "error": error, "asked": tip_categories.active_questions(category),
                "retired_questions": [q for q in category.questions if q.retired], "kind_labels": KIND_LABELS,
                "category_form": forms["category"], "question_form": forms["question"]}

    def save_category(self, data):
        request = self.request
        changed = tip_categories.update(request, self.category, **category_data(data))
        request.session.flash(request.localizer.translate(_("Saved.") if changed else _("Nothing was changed.")))
        return HTTPSeeOther(request.route_path("staff_category", id=self.category.id))

    def save_question(self, data):
        request = self.request
        if self.editing is None:
            tip_categories.add_question(request, self.category, **question_data(data))
            message = _("Question added.")
        else:
            changed = tip_categories.update_question(request, self.editing, **question_data(data))
            message = _("Saved.") if changed else _("Nothing was changed.")
        request.session.flash(request.localizer.translate(message))
        return HTTPSeeOther(request.route_path("staff_category", id=self.category.id, _anchor="questions"))

    def other_post(self):
        """The plain buttons of the page and of the list: move, retire, bring back."""
        request, category = self.request, self.category
        action = request.POST.get("action", "")
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
            return super().other_post()
        request.session.flash(request.localizer.translate(DONE[action] if done else _("Nothing was changed.")))
        return HTTPSeeOther(target)
