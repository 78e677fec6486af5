"""Working a tip on the staff side: the workflow steps with their extra rules, the reporter's contact
for the assigned handler only, the thread (messages to the reporter, internal notes), links to
other tips and to notices, and what the tip's page shows (answers, files, history).

Who may take a step is the transition's permission on the tip's context (moderators and handlers
of its unit or a unit above it); beyond that only the assigned handler starts and closes a tip, sees
the contact and downloads the original of a file without a safe copy. Messages, internal notes and
links come from the assigned handler or a moderator, and never on a closed tip (may_work_on).
Every step goes through TIP_WORKFLOW (audited); a step that moves or ends the tip carries a reason.
The form sends the tip's version: a step taken on a page someone else has acted on since is
refused (409), and so is a save that loses the race in the database (version column).

System lines in the thread are stored as their English source text and translated when shown
(message_text), so the reporter reads them in their language; they never name an officer."""
import json

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import Officer, OfficerRole
from portal.audit import chain as audit
from portal.audit.models import AuditEvent
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.meta import utcnow
from portal.core.permissions import Permission, Role
from portal.core.refused import Refused
from portal.notices.models import Notice
from portal.privacy import protected
from portal.tips import media as tip_media
from portal.tips import updates as tip_updates
from portal.tips.models import Tip, TipLink, TipMessage, TipReward
from portal.tips.submission import CONTACT_LABEL, is_danger_answer, text_in
from portal.tips.workflow import ASSIGNED_HANDLER, TIP_WORKFLOW, is_assigned_handler
from portal.units.models import Unit

OUTCOME_LABELS = {"actionable": _("actionable"), "unfounded": _("unfounded"), "duplicate": _("duplicate"),
                  "spam": _("spam")}
LINK_LABELS = {"duplicate": _("duplicate"), "related": _("related"), "notice": _("notice")}
FLAG_LABELS = {"old-capture": _("taken long before it was sent"),
               "far-capture": _("taken far from the stated place (its own GPS)"),
               "type-mismatch": _("its name does not match its content")}
# The thread line the reporter sees after a step (English source text, translated when shown).
SYSTEM_TEXTS = {
    "triage": _("Your tip has been read and is being checked."),
    "transfer": _("Your tip was forwarded to the unit responsible for it."),
    "assign": _("An officer is now handling your tip."),
    "dismiss": _("Your tip was closed."),
    "close": _("Your tip was closed. Thank you for your help."),
}
DISMISS_OUTCOMES = ("spam", "duplicate", "unfounded")  # what a moderator ends without handling
CONTACT_STATES = ("assigned", "in_progress")  # the contact is seen while the tip is worked on

STALE = TIP_WORKFLOW.stale_message
NOT_HANDLER = ASSIGNED_HANDLER.message
NOT_WORKING_IT = _("Only the handler assigned to this tip or a moderator can do this.")
CLOSED_THREAD = _("This tip is closed: nothing more can be added to its thread.")
CLOSED_LINKS = _("This tip is closed: its links stay as they were.")


# Who may do what ----------------------------------------------------------------------------

def steps_for(request, tip: Tip, context) -> list:
    """The transitions the signed-in officer may take from the tip's state."""
    return TIP_WORKFLOW.available(request, tip, context=context)


def may_work_on(request, tip: Tip, context) -> bool:
    """Who adds to an open tip (messages, internal notes, links): its assigned handler and the
    moderators of its unit or a unit above it. Other handlers in scope only read it; a closed tip
    is a record and stays as it was closed."""
    return tip.state != "closed" and (is_assigned_handler(request, tip, context)
                                      or bool(request.has_permission(str(Permission.MODERATE), context)))


def may_message_reporter(request, tip: Tip, context) -> bool:
    """The assigned handler and the moderators (their questions at triage) write to the reporter."""
    return may_work_on(request, tip, context)


def check_may_work_on(request, tip: Tip, context, *, closed, refused=None) -> None:
    """Refused (409 `closed` on a closed tip, 403 for an officer not working it) unless may_work_on."""
    if tip.state == "closed":
        raise Refused(closed, 409)
    if not may_work_on(request, tip, context):
        raise Refused(refused or NOT_WORKING_IT, 403)


def may_fetch_original(request, tip: Tip, context) -> bool:
    """The unstripped original of a file without a safe copy (its metadata may say who and where the
    reporter is): for the assigned handler alone, as the contact is."""
    return is_assigned_handler(request, tip, context)


def may_reveal(request, tip: Tip, context) -> bool:
    return tip.contact is not None and tip.state in CONTACT_STATES and is_assigned_handler(request, tip, context)


def check_version(tip: Tip, version) -> None:
    if version is None or str(version) != str(tip.version):
        raise Refused(STALE, 409)


def handler_candidates(dbsession, tip: Tip) -> list[Officer]:
    """Active officers with the handler role in the tip's unit or a unit above it: the ones who
    can open the tip once it is theirs."""
    above = select(Unit.id).where(Unit.code.in_(tip.unit.ancestor_codes))
    return list(dbsession.execute(
        select(Officer).join(OfficerRole, OfficerRole.officer_id == Officer.id)
        .where(OfficerRole.role == str(Role.HANDLER), Officer.active.is_(True), Officer.unit_id.in_(above))
        .order_by(Officer.display_name, Officer.username)
    ).scalars().unique())


def transfer_targets(dbsession, tip: Tip) -> list[Unit]:
    """Any unit but the tip's own: the province's tree, in its order."""
    return list(dbsession.execute(select(Unit).where(Unit.id != tip.unit_id).order_by(Unit.path)).scalars())


# The workflow -------------------------------------------------------------------------------

def transition(request, tip: Tip, name: str, *, context, version, reason: str = "", unit_id=None,
               handler_id=None, outcome: str | None = None) -> None:
    """Take one step on the tip; Refused says why not. Audited by the workflow engine, with the
    destination or handler in the audit reason; a line for the reporter where it matters."""
    # Role, state, version, reason and the handler's guard first: the engine refuses before the
    # form's own fields (unit, handler, outcome) are looked at, and nothing has changed.
    refused = TIP_WORKFLOW.refusal(request, tip, name, reason=reason, context=context, version=version)
    if refused is not None:
        raise refused
    step = TIP_WORKFLOW.transition(name)
    reason = (reason or "").strip()
    dbsession, officer, now = request.dbsession, request.identity, utcnow()
    noted = reason
    changes = {}
    if name == "transfer":
        target_id = record_id(unit_id)
        unit = dbsession.get(Unit, target_id) if target_id is not None else None
        if unit is None or unit.id == tip.unit_id:
            raise Refused(_("Choose the unit to send the tip to."), 400, "unit")
        noted = f"to {unit.code}: {reason}"
        changes = {"unit": unit}
    elif name in ("assign", "reassign"):
        handler = next((h for h in handler_candidates(dbsession, tip) if str(h.id) == str(handler_id)), None)
        if handler is None or handler.id == tip.assigned_to_id:
            raise Refused(_("Choose a handler from the list."), 400, "handler")
        before = f"from officer:{tip.assigned_to.username} " if tip.assigned_to is not None else ""
        noted = f"{before}to officer:{handler.username}" + (f": {reason}" if reason else "")
        changes = {"assigned_to": handler}
    elif name in ("dismiss", "close"):
        allowed = DISMISS_OUTCOMES if name == "dismiss" else tuple(OUTCOME_LABELS)
        if outcome not in allowed:
            raise Refused(_("Choose the outcome."), 400, "outcome")
        noted = f"{outcome}: {reason}"
        changes = {"outcome": outcome, "closed_at": now}
    elif name == "triage":
        changes = {"triaged_at": now}
    try:
        # A savepoint: if another save wins the race (the version column), only this step is undone.
        with dbsession.begin_nested():
            TIP_WORKFLOW.apply(request, tip, name, reason=reason, audit_reason=noted, context=context,
                               version=version, officer=officer)
            for attribute, value in changes.items():
                setattr(tip, attribute, value)
            if step.needs_reason:
                tip.reason = reason
            tip.updated_at = now
            if name in SYSTEM_TEXTS:
                dbsession.add(TipMessage(tip_id=tip.id, author="system", body=str(SYSTEM_TEXTS[name])))
            dbsession.flush()
            if name in ("dismiss", "close"):  # inside the savepoint: a lost race sends nothing
                tip_updates.tell(request, tip, tip_updates.CLOSED)
    except StaleDataError:
        raise Refused(STALE, 409) from None


# The reporter's contact ---------------------------------------------------------------------

def reveal_contact(request, tip: Tip, reason: str, *, context) -> dict:
    """The contact for the assigned handler, audited with the reason first (Refused without
    one); the reporter is told on /status that it was viewed, and when."""
    if not is_assigned_handler(request, tip, context):
        raise Refused(_("Only the handler assigned to this tip can see the reporter's contact."), 403)
    if tip.state not in CONTACT_STATES:
        raise Refused(_("The contact can be seen only while the tip is being handled."), 403)
    if tip.contact is None:
        raise Refused(_("The reporter left no contact."), 400)
    try:
        with request.dbsession.begin_nested():
            value = protected.reveal(request, tip.contact, officer=request.identity, label=CONTACT_LABEL,
                                     object_type="tip", object_id=tip.id, reason=reason)
            tip.contact_viewed_at = utcnow()
            request.dbsession.flush()
    except StaleDataError:
        raise Refused(STALE, 409) from None
    return json.loads(value) if value else {}


# The thread ---------------------------------------------------------------------------------

def check_may_post(request, tip: Tip, context, *, internal: bool) -> None:
    if internal:
        check_may_work_on(request, tip, context, closed=CLOSED_THREAD)
    else:
        check_may_work_on(request, tip, context, closed=_("This tip is closed: the reporter gets no more messages."),
                          refused=_("Only the assigned handler or a moderator writes to the reporter."))


def post_message(request, tip: Tip, body: str, *, internal: bool, context) -> TipMessage:
    """A message to the reporter (shown on /status as from "the police") or an internal note
    (officers only). Audited without its text."""
    check_may_post(request, tip, context, internal=internal)
    body = (body or "").strip()
    if not body:
        raise Refused(_("Write the message first."), 400, "body")
    message = TipMessage(tip_id=tip.id, author="officer", officer_id=request.identity.id, internal=internal,
                         body=body)
    request.dbsession.add(message)
    request.dbsession.flush()
    if not internal:
        tip_updates.tell(request, tip, tip_updates.POLICE_WROTE)
    audit.record(request, "tip.note" if internal else "tip.message", object_type="tip", object_id=tip.id,
                 from_state=tip.state, to_state=tip.state,
                 reason=f"internal note {message.id}" if internal else f"message {message.id} to the reporter")
    return message


def thread(dbsession, tip: Tip) -> list[tuple[TipMessage, list]]:
    """Every line, internal notes included, oldest first, each with the files sent with it."""
    messages = dbsession.execute(
        select(TipMessage).where(TipMessage.tip_id == tip.id).options(selectinload(TipMessage.officer))
        .order_by(TipMessage.created_at, TipMessage.id)
    ).scalars().all()
    files: dict = {}
    for attachment in tip.attachments:
        if attachment.message_id is not None:
            files.setdefault(attachment.message_id, []).append(attachment)
    return [(message, files.get(message.id, [])) for message in messages]


def message_text(request, message: TipMessage) -> str:
    """System lines are stored as their source text and shown in the reader's language."""
    if message.author == "system":
        return request.localizer.translate(_(message.body))
    return message.body


# Links --------------------------------------------------------------------------------------

def _existing_link(dbsession, tip: Tip, *, other_id=None, notice_id=None):
    if notice_id is not None:
        condition = and_(TipLink.tip_id == tip.id, TipLink.notice_id == notice_id)
    else:
        condition = or_(and_(TipLink.tip_id == tip.id, TipLink.linked_tip_id == other_id),
                        and_(TipLink.tip_id == other_id, TipLink.linked_tip_id == tip.id))
    return dbsession.execute(select(TipLink.id).where(condition).limit(1)).scalar_one_or_none()


def check_may_link(request, tip: Tip, context) -> None:
    check_may_work_on(request, tip, context, closed=CLOSED_LINKS)


def link_tip(request, tip: Tip, number: int, kind: str, *, context) -> TipLink:
    """Link to another tip the officer can see (both pages show it); audited on both tips. Only
    by those working the tip (may_work_on), while it is open."""
    check_may_link(request, tip, context)
    dbsession, officer = request.dbsession, request.identity
    if number == tip.id:
        raise Refused(_("A tip cannot be linked to itself."), 400, "number")
    other = dbsession.get(Tip, number)
    # A tip outside the officer's units answers like one that does not exist.
    if other is None or not officer.unit.contains(other.unit):
        raise Refused(_("There is no tip ${number} among the tips of your units.", mapping={"number": number}),
                      400, "number")
    if _existing_link(dbsession, tip, other_id=other.id) is not None:
        raise Refused(_("These tips are already linked."), 400, "number")
    link = TipLink(tip_id=tip.id, linked_tip_id=other.id, kind=kind, officer_id=officer.id)
    dbsession.add(link)
    dbsession.flush()
    audit.record(request, "tip.link", object_type="tip", object_id=tip.id, reason=f"{kind}: tip {other.id}")
    audit.record(request, "tip.link", object_type="tip", object_id=other.id, reason=f"{kind}: tip {tip.id}")
    return link


def link_notice(request, tip: Tip, number: int, *, context) -> TipLink:
    """Link to a published notice (the case appeal or reward task the tip answers); the same
    rule as link_tip."""
    check_may_link(request, tip, context)
    dbsession = request.dbsession
    notice = dbsession.get(Notice, number)
    if notice is None or not notice.is_public:
        raise Refused(_("There is no published notice ${number}.", mapping={"number": number}), 400, "number")
    if _existing_link(dbsession, tip, notice_id=notice.id) is not None:
        raise Refused(_("This notice is already linked."), 400, "number")
    link = TipLink(tip_id=tip.id, notice_id=notice.id, kind="notice", officer_id=request.identity.id)
    dbsession.add(link)
    dbsession.flush()
    audit.record(request, "tip.link", object_type="tip", object_id=tip.id, reason=f"notice {notice.id}")
    return link


def links(dbsession, tip: Tip, officer) -> list[dict]:
    """Both directions of the tip's links. Of a linked tip only its number, category, state, unit
    and date, and those only when the officer may open it; never anything of its reporter."""
    rows = dbsession.execute(
        select(TipLink).where(or_(TipLink.tip_id == tip.id, TipLink.linked_tip_id == tip.id))
        .options(selectinload(TipLink.notice)).order_by(TipLink.created_at, TipLink.id)
    ).scalars().all()
    other_ids = {row.linked_tip_id if row.tip_id == tip.id else row.tip_id for row in rows if row.notice_id is None}
    others = {t.id: t for t in dbsession.execute(
        select(Tip).where(Tip.id.in_(other_ids)).options(selectinload(Tip.unit), selectinload(Tip.category))
    ).scalars()} if other_ids else {}
    found = []
    for row in rows:
        if row.notice_id is not None:
            found.append({"kind": "notice", "notice": row.notice, "at": row.created_at})
            continue
        other = others[row.linked_tip_id if row.tip_id == tip.id else row.tip_id]
        found.append({"kind": row.kind, "tip": other if officer.unit.contains(other.unit) else None,
                      "number": other.id, "at": row.created_at})
    return found


# What the page shows ------------------------------------------------------------------------

def answers(tip: Tip, locale: str) -> list[dict]:
    """The category's questions answered, in the category's order, labels in the officer's language."""
    rows = sorted(tip.answers, key=lambda a: (a.question.position, a.question.id))
    shown = []
    for answer in rows:
        question = answer.question
        text = answer.value
        if question.kind == "choice":
            choice = next((c for c in question.choices or [] if c.get("value") == answer.value), None)
            text = (text_in(choice.get("labels"), locale) or answer.value) if choice else answer.value
        shown.append({"label": text_in(question.labels, locale) or question.key, "text": text,
                      "danger": is_danger_answer(question, answer.value)})
    return shown


def capture_distances(tip: Tip) -> dict[int, float]:
    """Per media id, how far from the tip's stated place its photo's own GPS puts it (km)."""
    distances = {a.media_id: tip_media.capture_distance_km(tip, a.media) for a in tip.attachments}
    return {media_id: km for media_id, km in distances.items() if km is not None}


def flag_reasons(tip: Tip) -> list[str]:
    """Why the tip is flagged: the flags of its files, each once."""
    seen = []
    for attachment in tip.attachments:
        for flag in (attachment.flags or "").split():
            if flag not in seen:
                seen.append(flag)
    return seen


def history(dbsession, tip: Tip) -> list[AuditEvent]:
    """The tip's audit events and its rewards', oldest first."""
    reward_ids = [str(i) for i in dbsession.execute(select(TipReward.id).where(TipReward.tip_id == tip.id)).scalars()]
    condition = and_(AuditEvent.object_type == "tip", AuditEvent.object_id == str(tip.id))
    if reward_ids:
        condition = or_(condition, and_(AuditEvent.object_type == "tip_reward", AuditEvent.object_id.in_(reward_ids)))
    return list(dbsession.execute(select(AuditEvent).where(condition).order_by(AuditEvent.id)).scalars())
