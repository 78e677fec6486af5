"""Staff notices: the unit-scoped list and review queue, writing drafts, editing, and the review
steps (submit, request changes, approve by a second officer, resolve, retract)."""
import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.accounts.models import Officer
from portal.core.forms import FormView, MultiFormView, PageForm, field_messages, typed_values
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.models import Media
from portal.media.responses import copy_response
from portal.notices import editing as notice_editing
from portal.notices import photos, revisions
from portal.notices import staff_queries as staff_notices
from portal.notices.forms import notice_schema
from portal.notices.models import NOTICE_KINDS, NOTICE_STATES
from portal.notices.workflow import KIND_LABELS, NOTICE_WORKFLOW, REVISION_WORKFLOW
from portal.units.models import Unit

PAGE = 30
MAX_STEP_REASON = 4000
STATE_LABELS = {
    "draft": _("Draft"),
    "in_review": _("In review"),
    "published": _("Published"),
    "resolved": _("Resolved"),
    "expired": _("Expired"),
    "retracted": _("Retracted"),
}
STEP_LABELS = {
    "submit": _("Send for review"),
    "request_changes": _("Request changes"),
    "approve": _("Approve and publish"),
    "resolve": _("Mark resolved"),
    "retract": _("Retract"),
}
STEP_DONE = {
    "submit": _("Sent for review."),
    "request_changes": _("Sent back to the author with your note."),
    "approve": _("Approved: the notice is published."),
    "resolve": _("Marked resolved: the notice has left the public pages."),
    "retract": _("Retracted: the notice has left the public pages."),
}

REVISION_DONE = {
    "approve": _("Change approved: the public now sees the new version."),
    "reject": _("Change rejected: the public version stays as it is."),
}


def _labels():
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "step_labels": STEP_LABELS}


@view_config(route_name="staff_notices", renderer="staff/notices.html", permission=Permission.MODERATE)
def notice_list(request):
    officer = request.identity
    state, kind = request.GET.get("state", "")[:20], request.GET.get("kind", "")[:20]
    page = {**_labels(), "state": state, "kind": kind, "notices": [], "next_query": None, "error": None,
            "pending_ids": set(),
            "queue": staff_notices.review_queue(request.dbsession, officer)}
    if (state and state not in NOTICE_STATES) or (kind and kind not in NOTICE_KINDS):
        request.response.status_int = 400
        return dict(page, error=_("Choose a state and a kind from the lists."))
    try:
        rows, cursor = staff_notices.staff_page(request.dbsession, officer, state=state or None, kind=kind or None,
                                                cursor=request.GET.get("page") or None, size=PAGE)
    except BadCursor:
        request.response.status_int = 400
        return dict(page, error=_("This page link is not valid. Start again from the first page."))
    next_query = {k: v for k, v in (("state", state), ("kind", kind), ("page", cursor)) if v} if cursor else None
    pending_ids = staff_notices.with_pending_change(request.dbsession, [*rows, *page["queue"]])
    return dict(page, notices=rows, next_query=next_query, pending_ids=pending_ids)


@view_config(route_name="staff_notice_new", renderer="staff/notice_new.html", permission=Permission.MODERATE)
class NewNotice(FormView):
    """A draft of a staff-written kind: first the kind (a list of links), then its form."""

    buttons = (("save", _("Save draft")),)

    def __init__(self, context, request):
        super().__init__(context, request)
        self.kind = request.GET.get("kind", "")
        self.choices = {k: KIND_LABELS[k] for k in notice_editing.STAFF_KINDS}

    def __call__(self):
        if self.kind not in self.choices:
            if self.kind:
                self.request.response.status_int = 400
                return self.page(error=_("Choose one of these kinds of notice."))
            return self.page()
        return super().__call__()

    @property
    def form_options(self):
        return {"action": self.request.route_path("staff_notice_new", _query={"kind": self.kind})}

    def schema(self):
        return notice_schema(self.kind, with_unit=True)

    def appstruct(self):
        return {"unit_id": str(self.request.identity.unit_id)}

    def page(self, **values):
        return {"choices": self.choices, "kind": self.kind, "form": None, "error": None,
                "heading": KIND_LABELS.get(self.kind, _("New notice")), **values}

    def save_success(self, data):
        request = self.request
        unit = request.dbsession.get(Unit, int(data["unit_id"]))
        notice = notice_editing.create_draft(request, kind=self.kind, unit=unit, values=data)
        request.session.flash(request.localizer.translate(_("Draft saved. Send it for review when it is ready.")))
        return HTTPSeeOther(request.route_path("staff_notice", id=notice.id))


def _appstruct(notice, values=None, pending=None):
    """What the edit form shows: the notice with its pending change, or what was typed, always with
    the current version and the pending change it starts from."""
    source = values if values is not None else {k: getattr(notice, k) for k in notice_editing.fields_for(notice.kind)}
    if values is None:
        proposed = revisions.proposed_photos(pending)
        source["photos"] = photos.current(notice) if proposed is None else proposed
        if pending is not None:
            source.update(revisions.proposed_values(pending))
    appstruct = {k: colander.null if v is None else v for k, v in source.items() if k not in ("version", "pending")}
    appstruct["version"] = notice.version
    appstruct["pending"] = pending.id if pending is not None else colander.null
    return appstruct


def _revision_panel(request, notice, pending):
    """The pending change of a published notice: its diff, and what the officer may do with it."""
    if pending is None:
        return {"revision": None}
    labels = {node.name: node.title for node in notice_schema(notice.kind, with_unit=False).children}
    author = request.dbsession.get(Officer, pending.author_id)
    return {"revision": pending, "revision_diff": revisions.diff(pending, labels), "revision_author": author,
            "revision_photos": revisions.proposed_photos(pending),
            "revision_steps": [t.name for t in REVISION_WORKFLOW.available(request, pending)
                               if t.name in ("approve", "reject")],
            "own_revision": pending.author_id == request.identity.id}


def _reason_node():
    return colander.SchemaNode(colander.String(), name="reason", missing="", validator=colander.Length(
        max=MAX_STEP_REASON, max_err=_("Please keep the reason under ${max} characters.")))


def _step_schema():
    """A step of the notice (the engine says which need a reason, and refuses an unknown one)."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="transition", missing=""))
    schema.add(_reason_node())
    return schema


def _revision_schema():
    """Approve or reject the pending change the page showed, at the version it showed."""
    schema = colander.SchemaNode(colander.Mapping())
    for name, missing in (("revision_step", ""), ("revision", ""), ("revision_version", None)):
        schema.add(colander.SchemaNode(colander.String(), name=name, missing=missing))
    schema.add(_reason_node())
    return schema


def _hand_written(form):
    return form


@view_config(route_name="staff_notice", renderer="staff/notice.html", permission=Permission.MODERATE)
class NoticePage(MultiFormView):
    """One notice: its steps (hand-written forms naming the step), the pending change of a published
    notice to approve or reject (hand-written), and the edit form (Deform) while it may be edited.
    Every message goes on top of the page; a step's reason and the edit form keep what was typed."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.notice = notice = context.notice
        self.editable = notice_editing.is_staff_kind(notice) and notice.state in notice_editing.EDITABLE_STATES
        self.pending = revisions.pending_for(request.dbsession, notice) if notice.state == "published" else None
        self.edit_values = None  # a valid edit that was refused: shown again at the version now

    def posted_formid(self):
        post = self.request.POST
        return "step" if "transition" in post else "revision" if "revision_step" in post else "edit"

    def forms(self):
        specs = [PageForm("step", _step_schema, (("submit", ""),), {"submit": self.take_step}, render=_hand_written),
                 PageForm("revision", _revision_schema, (("submit", ""),), {"submit": self.decide},
                          render=_hand_written)]
        if self.editable:
            notice = self.notice
            def thumb(media_id):
                return self.request.route_path("staff_notice_photo", id=notice.id, media=media_id,
                                               _query={"size": "thumb"})
            specs.append(PageForm("edit", lambda: notice_schema(notice.kind, with_unit=False, thumb_url=thumb),
                                  (("save", _("Save changes")),), {"save": self.save}, render=self._edit_html,
                                  options={"action": self.request.route_path("staff_notice", id=notice.id)}))
        return specs

    def other_post(self):
        notice_editing.check_editable(self.notice)  # the edit form of a notice that may not be edited
        raise Refused(_("Choose one of the buttons on the page."), 400)

    def _edit_html(self, form):
        posted = self.failed and self.posted is not None and self.posted.formid == "edit"
        if not posted:
            return form.render(_appstruct(self.notice, pending=self.pending))
        if self.edit_values is not None:  # valid but refused (saved meanwhile): what was typed, at today's version
            return form.render(_appstruct(self.notice, self.edit_values, self.pending))
        return form.render()

    def page(self, forms, error=None):
        request, notice = self.request, self.notice
        typed_reason = {}
        if self.failed and self.posted is not None and self.posted.formid in ("step", "revision"):
            posted = forms[self.posted.formid]
            typed = typed_values(posted)
            key = typed.get("transition", "") if self.posted.formid == "step" else \
                f"revision-{typed.get('revision_step', '')}"
            typed_reason = {key: typed.get("reason", "")}
            if error is None:
                error = " ".join(field_messages(request, posted).values())
        steps = NOTICE_WORKFLOW.available(request, notice)
        own = notice.author_id == request.identity.id
        # The author sees why approving is not theirs to do, where another officer could approve.
        may_approve = (own and notice.state == "in_review" and notice_editing.is_staff_kind(notice)
                       and NOTICE_WORKFLOW.permits(request, NOTICE_WORKFLOW.transition("approve")))
        people = {o.id: o for o in request.dbsession.execute(select(Officer).where(
            Officer.id.in_([i for i in (notice.author_id, notice.approver_id) if i]))).scalars()}
        return {**_labels(), "notice": notice, "form": forms.get("edit"), "error": error, "steps": steps,
                "four_eyes_note": may_approve, "typed_reason": typed_reason, "author": people.get(notice.author_id),
                "approver": people.get(notice.approver_id), **_revision_panel(request, notice, self.pending),
                "history": staff_notices.history(request.dbsession, notice)}

    def _done(self, message):
        request = self.request
        request.session.flash(request.localizer.translate(message))
        return HTTPSeeOther(request.route_path("staff_notice", id=self.notice.id))

    def take_step(self, data):
        name = data["transition"]
        notice_editing.transition(self.request, self.notice, name, data["reason"])
        return self._done(STEP_DONE[name])

    def decide(self, data):
        """Approve or reject the pending change of a published notice (a second officer)."""
        request, notice, name = self.request, self.notice, data["revision_step"]
        revision_id, version = record_id(data["revision"]), data["revision_version"]
        if name == "approve":
            revisions.approve(request, notice, revision_id, version=version)
        elif name == "reject":
            revisions.reject(request, notice, revision_id, data["reason"], version=version)
        else:
            raise Refused(_("Choose one of the buttons on the page."), 400)
        return self._done(REVISION_DONE[name])

    def save(self, data):
        request, notice = self.request, self.notice
        try:
            changed = notice_editing.update(request, notice, data, version=data["version"], pending=data["pending"])
        except Refused:
            self.edit_values = data
            raise
        if notice.state != "published":
            message = _("Saved.") if changed else _("Nothing was changed.")
        elif changed:
            message = _("Saved as a change waiting for approval: the public sees it only after another officer "
                        "of this unit or a unit above it approves it (four eyes).")
        elif data["pending"] is not None:
            message = _("The pending change was withdrawn: the public version stays as it is.")
        else:
            message = _("Nothing was changed.")
        return self._done(message)


@view_config(route_name="staff_notice_photo", request_method="GET", permission=Permission.MODERATE)
def notice_photo(context, request):
    """A photo of the notice or of its pending change, for its staff: the public copy or thumbnail
    (the original stays evidence). Pending photos are served nowhere else."""
    notice = context.notice
    pending = revisions.pending_for(request.dbsession, notice) if notice.state == "published" else None
    media_id = record_id(request.matchdict["media"])
    if media_id not in photos.visible_to_staff(notice, revisions.proposed_photos(pending)):
        raise HTTPNotFound()
    return copy_response(request, request.dbsession.get(Media, media_id), thumb=request.GET.get("size") == "thumb")
