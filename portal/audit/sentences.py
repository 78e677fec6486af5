"""An audit event as a line people read, in their language (the history tables of the staff pages).

The stored row stays what it is: the sealed, machine-made record ("alarm.raised", "kind silent; unit
139910"), so old rows and the hash chain are untouched. What is shown is built from it: the action
as "<thing>: <what happened>", the states by their names, the actor as the reader says it, and the
parts of a reason the code wrote ("kind silent", "unit 139910", "flagged as flood") as sentences.
What an officer typed as a reason is shown as typed. A code this module does not know yet is shown
as stored, so nothing is ever hidden."""
import re

from jinja2 import pass_context
from markupsafe import Markup
from pyramid.i18n import TranslationString

from portal.core.i18n import _

THINGS = {
    "alarm": _("Alarm"), "call": _("Call"), "call_invitation": _("Invitation"), "recording": _("Recording"),
    "tip": _("Tip"), "tip_reward": _("Reward"), "tip_category": _("Tip category"), "tip_question": _("Question"),
    "notice": _("Notice"), "notice_revision": _("Change"), "sighting": _("Sighting"),
    "missing_request": _("Missing-person request"), "trip": _("Trip"), "media": _("File"), "unit": _("Unit"),
    "officer": _("Officer"), "evidence": _("Evidence package"), "signin": _("Sign-in"), "signout": _("Sign-out"),
    "totp": _("Two-step sign-in"), "outbox": _("Outgoing message"),
}
HAPPENINGS = {
    # The workflows' steps.
    "acknowledge": _("acknowledged"), "answer": _("answered"), "approve": _("approved"), "arrive": _("arrived"),
    "assign": _("assigned to a handler"), "cancel": _("cancelled"), "close": _("closed"), "consent": _("consent given"),
    "dismiss": _("dismissed"), "dispatch": _("help dispatched"), "drop": _("dropped"), "end": _("ended"),
    "escalate": _("alarm raised by the system"), "expire": _("expired"), "forward": _("passed on"),
    "hang_up": _("hung up"), "hold": _("put on hold"), "open": _("opened"), "pay": _("paid"),
    "publish": _("published"), "raise_alarm": _("alarm raised"), "reassign": _("given to another handler"),
    "refuse": _("refused"), "reject": _("rejected"), "request_changes": _("sent back for changes"),
    "resolve": _("resolved"), "resume": _("resumed"), "retract": _("retracted"), "review": _("reviewed"),
    "revoke": _("withdrawn"), "start": _("started"), "start_verifying": _("verification started"),
    "submit": _("sent for review"), "supersede": _("replaced by a newer change"), "transfer": _("sent to another unit"),
    "triage": _("accepted for checking"), "withdraw": _("withdrawn"),
    # Events recorded outside the workflows.
    "raised": _("raised"), "message": _("message"), "photo_added": _("photo added"), "snapshot": _("picture kept"),
    "started": _("started"), "alarm": _("alarm raised from it"), "sent": _("sent"), "export": _("downloaded"),
    "checklist": _("checklist recorded"), "submitted": _("submitted"), "created": _("created"), "edited": _("edited"),
    "revision_proposed": _("change proposed"), "changed": _("changed"), "locked": _("locked"),
    "gave_up": _("not delivered"), "final": _("finished"), "verify": _("checked"), "view": _("played"),
    "received": _("received"), "reply": _("answer from the sender"), "failed": _("failed"), "link": _("linked"),
    "media_original": _("original file opened"), "note": _("internal note"), "moved": _("moved"),
    "retired": _("retired"), "proposed": _("proposed"), "enrolled": _("turned on"), "answered": _("answered"),
    "overdue": _("overdue"), "photos_added": _("photos added"), "reveal": _("contact shown"),
}
STATES = {
    "new": _("new"), "acknowledged": _("acknowledged"), "dispatched": _("help dispatched"), "closed": _("closed"),
    "cancelled": _("cancelled by the sender"), "received": _("received"), "triaged": _("triaged"),
    "assigned": _("assigned"), "in_progress": _("in progress"), "proposed": _("proposed"), "approved": _("approved"),
    "paid": _("paid"), "refused": _("refused"), "draft": _("draft"), "in_review": _("in review"),
    "published": _("published"), "resolved": _("resolved"), "expired": _("expired"), "retracted": _("retracted"),
    "pending": _("waiting for approval"), "rejected": _("rejected"), "superseded": _("replaced by a newer change"),
    "submitted": _("submitted"), "verifying": _("being verified"), "withdrawn": _("withdrawn"),
    "reviewed": _("reviewed"), "forwarded": _("forwarded"), "active": _("active"), "arrived": _("arrived"),
    "alarm_raised": _("alarm raised"), "ringing": _("ringing"), "connected": _("connected"), "held": _("on hold"),
    "ended": _("ended"), "sent": _("sent"), "opened": _("opened"), "used": _("shared"), "revoked": _("revoked"),
    "open": _("still recording"), "final": _("finished"),
}
ACTORS = {"public": _("the public"), "system": _("the system")}
KINDS = {"text": _("text alarm"), "silent": _("silent alarm"), "video": _("video alarm"),
         "silent_video": _("silent video alarm"), "voice": _("voice alarm")}
# An alarm's flag reason: the code stored now ("flood:10"), or the English line stored before.
FLOOD = re.compile(r"flood:(\d+)|flood: more than (\d+) alarms from one address within an hour")
# The parts of a reason the code writes; each becomes a sentence with its values as parameters.
REASON_PARTS = [
    (re.compile(r"kind (\w+)"), lambda m: _("kind: ${kind}", mapping={"kind": KINDS.get(m[1], m[1])})),
    (re.compile(r"unit (\d+)"), lambda m: _("unit ${code}", mapping={"code": m[1]})),
    (re.compile(r"located"), lambda m: _("with a position")),
    (re.compile(r"flagged as flood"), lambda m: _("flagged as a possible flood")),
    (FLOOD, lambda m: flood_sentence(m[1] or m[2])),
    (re.compile(r"alarm (\d+)"), lambda m: _("alarm ${id}", mapping={"id": m[1]})),
    (re.compile(r"message (\d+)"), lambda m: _("message ${id}", mapping={"id": m[1]})),
    (re.compile(r"message (\d+) to the reporter"), lambda m: _("message ${id} to the reporter", mapping={"id": m[1]})),
    (re.compile(r"internal note (\d+)"), lambda m: _("internal note ${id}", mapping={"id": m[1]})),
    (re.compile(r"media (\d+)"), lambda m: _("file ${id}", mapping={"id": m[1]})),
    (re.compile(r"(\d+) photo\(s\)|(\d+) photos"), lambda m: _("${n} photos", mapping={"n": m[1] or m[2]})),
    (re.compile(r"(\d+) file\(s\)"), lambda m: _("${n} files", mapping={"n": m[1]})),
    (re.compile(r"(\d+) guardians"), lambda m: _("${n} guardians", mapping={"n": m[1]})),
    (re.compile(r"guardian (\d+)"), lambda m: _("guardian ${id}", mapping={"id": m[1]})),
    (re.compile(r"category ([a-z0-9-]+)"), lambda m: _("category ${slug}", mapping={"slug": m[1]})),
    (re.compile(r"reporter replied"), lambda m: _("the reporter answered")),
    (re.compile(r"cancelled by the sender"), lambda m: _("cancelled by the sender")),
    (re.compile(r"raised by the (traveller|guardian)"),
     lambda m: _("raised by the traveller") if m[1] == "traveller" else _("raised by a guardian")),
    (re.compile(r"overdue and unanswered for (\d+) minutes"),
     lambda m: _("overdue and unanswered for ${n} minutes", mapping={"n": m[1]})),
    (re.compile(r"expected arrival passed; (\d+) guardians notified"),
     lambda m: _("expected arrival passed; ${n} guardians told", mapping={"n": m[1]})),
    (re.compile(r"no arrival and no position long after the expected arrival"),
     lambda m: _("no arrival and no position long after the expected arrival")),
    (re.compile(r"not used within its lifetime"), lambda m: _("not used in time")),
]
OUTCOMES = {"actionable": _("actionable"), "unfounded": _("unfounded"), "duplicate": _("duplicate"), "spam": _("spam")}
# Reasons the code begins and the officer's words end ("actionable: Seized 40 detonators"): the beginning
# is worded, the officer's words (group "text") stay as typed.
PREFIXES = [
    (re.compile(r"(?:from officer:(\S+) )?to officer:(\S+)(?:: (?P<text>.*))?", re.S),
     lambda m: _("from ${before} to ${after}", mapping={"before": m[1], "after": m[2]}) if m[1]
     else _("to ${after}", mapping={"after": m[2]})),
    (re.compile(r"to (\d+): (?P<text>.*)", re.S), lambda m: _("to unit ${code}", mapping={"code": m[1]})),
    (re.compile(r"(actionable|unfounded|duplicate|spam): (?P<text>.*)", re.S), lambda m: OUTCOMES[m[1]]),
    (re.compile(r"revision (\d+): (?P<text>.*)", re.S), lambda m: _("change ${id}", mapping={"id": m[1]})),
    (re.compile(r"media (\d+): (?P<text>.*)", re.S), lambda m: _("file ${id}", mapping={"id": m[1]})),
]
# A reason is read as machine-made only when every one of its parts is (officers' words stay as typed).
SEPARATOR = re.compile(r"; |, ")


def flood_sentence(per_hour) -> TranslationString:
    return _("More than ${n} alarms came from one address within an hour.", mapping={"n": per_hour})


def flood_code(per_hour) -> str:
    """What an alarm stores as its flag reason: a code with its parameter, read by flood_text."""
    return f"flood:{per_hour}"


def flood_text(request, stored: str) -> str:
    """An alarm's stored flag reason in the reader's language (also the English rows stored before)."""
    match = FLOOD.fullmatch(stored or "")
    return _translated(request.localizer.translate, flood_sentence(match[1] or match[2])) if match else stored


def _machine_part(part):
    for pattern, sentence in REASON_PARTS:
        match = pattern.fullmatch(part)
        if match:
            return sentence(match)
    return None


def _translated(translate, sentence) -> str:
    """A sentence whose parameters may be words too ("kind: ${kind}"): those are translated first."""
    mapping = {key: translate(value) if isinstance(value, TranslationString) else value
               for key, value in (sentence.mapping or {}).items()}
    return translate(_(str(sentence), mapping=mapping or None))


def reason_text(translate, reason: str) -> str:
    """The reason in the reader's language when the code wrote it, else as the officer typed it."""
    for pattern, head in PREFIXES:
        match = pattern.fullmatch(reason or "")
        if match:
            worded = _translated(translate, head(match))
            typed = match["text"]
            return translate(_("${head}: ${text}", mapping={"head": worded, "text": typed})) if typed else worded
    parts = [p for p in SEPARATOR.split(reason or "") if p]
    sentences = [_machine_part(p) for p in parts]
    if not parts or None in sentences:
        return reason or ""
    text = _translated(translate, sentences[0])
    for sentence in sentences[1:]:
        text = translate(_("${first}; ${next}", mapping={"first": text, "next": _translated(translate, sentence)}))
    return text


def _label(translate, table, code):
    return translate(table[code]) if code in table else code


def line(request, event) -> dict:
    """One history row: when stays a time; who, what, states and reason become words."""
    translate = request.localizer.translate
    thing, _dot, happening = (event.action or "").partition(".")
    if thing in THINGS and happening in HAPPENINGS:
        action = translate(_("${thing}: ${happening}", mapping={
            "thing": translate(THINGS[thing]), "happening": translate(HAPPENINGS[happening])}))
    elif thing in THINGS and not happening:  # "signin", "signout": the thing is the event
        action = translate(THINGS[thing])
    else:
        action = event.action
    actor = event.actor or ""
    who = actor.split(":", 1)[1] if actor.startswith("officer:") else _label(translate, ACTORS, actor)
    states = ""
    if event.from_state or event.to_state:
        states = Markup("{} → {}").format(_label(translate, STATES, event.from_state),
                                          _label(translate, STATES, event.to_state))
    thing_label = _label(translate, THINGS, event.object_type) if event.object_type else ""
    return {"at": event.at, "who": who, "action": action, "states": states,
            "reason": reason_text(translate, event.reason), "object": f"{thing_label} {event.object_id}".strip()}


@pass_context
def history_line(context, event) -> dict:
    """Template filter: {% set e = event|history_line %} (templates/staff/_history.html)."""
    return line(context["request"], event)


@pass_context
def alarm_flag(context, stored: str) -> str:
    """Template filter: an alarm's flag reason in the reader's language."""
    return flood_text(context["request"], stored)
