"""The one state-machine engine. Each workflow is declared once, in its domain's workflow.py, and
checked when the app starts; `Workflow.apply` is the only way any of those states change.

`apply` checks, in this order: the transition exists; the caller holds its permission (an officer's
role within the object's unit scope, asked of the request's security policy against the context;
the worker for SYSTEM steps; the holder of a secret link, whose context grants the link's
permission); the object is still at the version the caller saw and in one of the transition's
source states; a reason is given where one is needed; every guard passes. Then it changes the state
and the version in one compare-and-set UPDATE (so of two concurrent steps only the first wins) and
writes the audit event. A failed check raises `Refused` and changes nothing: no state, no version,
no audit event."""
from collections.abc import Callable
from dataclasses import dataclass, field

from pyramid.authorization import ACLHelper, Allow, Everyone
from sqlalchemy import inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.refused import Refused

# The worker's own steps (deadlines, retention): no officer holds this permission, and the worker
# (actor "system") holds no other.
SYSTEM = "system"

STALE = _("Someone else changed this meanwhile. Reload the page to see the change, then try again.")
UNCHECKED = object()  # apply(version=...) not given: the caller keeps no version (a worker, a link)


class WorkflowError(Exception):
    """The declaration itself is inconsistent (found at start-up, never at request time)."""


@dataclass(frozen=True)
class Guard:
    """A rule beyond permission, state and reason (four eyes; a checklist complete). `allows(request,
    obj, context)` is true when the step may happen; otherwise it is refused with `message` and
    `status`."""

    allows: Callable
    message: object
    status: int = 403
    field: str | None = None


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    needs_reason: bool = False
    guards: tuple[Guard, ...] = ()


class LinkHolder:
    """The context of whoever holds an object's secret link (an alarm's sender, a trip's traveller or
    guardian): the link is the proof, so its context grants the link's permissions to everyone. The
    secret-link routes' contexts grant the same; services called without a route (the worker,
    tests) build one."""

    def __init__(self, *permissions: str):
        self.__acl__ = [(Allow, Everyone, permission) for permission in permissions]


@dataclass
class Workflow:
    name: str  # also the audit object type, e.g. "notice"
    states: tuple[str, ...]
    initial: str
    final: tuple[str, ...]
    transitions: tuple[Transition, ...]
    state_attr: str = "state"
    # For messages: what the object is called ("tip") and its states' names, as people read them.
    label: object = None
    state_labels: dict = field(default_factory=dict)
    # What a refusal says when the object has reached a final state ("This trip has already ended."),
    # instead of naming the state; and when it changed after the caller read it.
    final_message: object = None
    stale_message: object = STALE
    _by_name: dict = field(init=False, repr=False)

    def __post_init__(self):
        self._by_name = {t.name: t for t in self.transitions}
        self.check()

    def check(self) -> None:
        """Refuse a declaration with unknown states, duplicates, or states nothing can reach."""
        states = set(self.states)
        if len(states) != len(self.states):
            raise WorkflowError(f"{self.name}: a state is declared twice")
        if len(self._by_name) != len(self.transitions):
            raise WorkflowError(f"{self.name}: a transition name is declared twice")
        if self.initial not in states or not set(self.final) <= states:
            raise WorkflowError(f"{self.name}: initial or final state is not a declared state")
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - states
            if unknown:
                raise WorkflowError(f"{self.name}.{t.name}: unknown states {sorted(unknown)}")
            if set(t.sources) & set(self.final):
                raise WorkflowError(f"{self.name}.{t.name}: leaves a final state")
            if not t.permission:
                raise WorkflowError(f"{self.name}.{t.name}: no permission")
        reachable = {self.initial}
        changed = True
        while changed:
            changed = False
            for t in self.transitions:
                if reachable & set(t.sources) and t.target not in reachable:
                    reachable.add(t.target)
                    changed = True
        if reachable != states:
            raise WorkflowError(f"{self.name}: unreachable states {sorted(states - reachable)}")
        for state in states - set(self.final):
            if not any(state in t.sources for t in self.transitions):
                raise WorkflowError(f"{self.name}: no way out of non-final state {state!r}")

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise Refused(_("Choose one of the buttons on the page."), 400) from None

    # -- checking -----------------------------------------------------------------------------

    def permits(self, request, transition: Transition, *, context=None, actor=None) -> bool:
        """Whether the caller holds the transition's permission (not whether the state allows it)."""
        if transition.permission == SYSTEM or actor == "system":
            return transition.permission == SYSTEM and actor == "system"
        if context is None:
            context = getattr(request, "context", None)
        if actor == "public":
            # No officer is involved: the secret link's context alone grants the step.
            return bool(ACLHelper().permits(context, [Everyone], transition.permission))
        return bool(request.has_permission(transition.permission, context))

    def refusal(self, request, obj, name: str, *, reason: str = "", context=None, actor=None,
                version=UNCHECKED, check_reason: bool = True, check_guards: bool = True) -> Refused | None:
        """Why `name` may not happen now, or None when it may."""
        try:
            transition = self.transition(name)
        except Refused as refused:
            return refused
        if not self.permits(request, transition, context=context, actor=actor):
            return Refused(_("Your role does not allow this step."), 403)
        # The version the caller's page showed; None when its form sent none (a forged or cut post).
        # Checked before the state: a page that is out of date is why a state no longer fits.
        if version is not UNCHECKED and (version is None or str(version) != str(getattr(obj, "version", ""))):
            return Refused(self.stale_message, 409)
        current = getattr(obj, self.state_attr)
        if current not in transition.sources:
            if current in self.final and self.final_message is not None:
                return Refused(self.final_message, 409)
            if self.label is None:
                return Refused(_("This step is not possible any more: it is ${state} now.",
                                 mapping={"state": self.state_labels.get(current, current)}), 409)
            return Refused(_("This step is not possible while the ${object} is ${state}.",
                             mapping={"object": self.label, "state": self.state_labels.get(current, current)}), 409)
        if check_reason and transition.needs_reason and not (reason or "").strip():
            return Refused(_("Give a reason."), 400, "reason")
        for guard in transition.guards if check_guards else ():
            if not guard.allows(request, obj, context if context is not None else getattr(request, "context", None)):
                return Refused(guard.message, guard.status, guard.field)
        return None

    def available(self, request, obj, *, context=None, actor=None, check_guards=True) -> list[Transition]:
        """The transitions the caller may take now (a reason, where needed, still to be given).
        `check_guards=False` also lists steps a guard still stops, for a page that shows the button
        and explains the refusal (publishing before the checklist is complete)."""
        return [t for t in self.transitions
                if self.refusal(request, obj, t.name, context=context, actor=actor, check_reason=False,
                                check_guards=check_guards) is None]

    # -- acting -------------------------------------------------------------------------------

    def apply(self, request, obj, name: str, *, reason: str = "", audit_reason: str | None = None,
              context=None, actor=None, officer=None, version=UNCHECKED, object_id=None) -> Transition:
        """Move obj along one transition and audit it, or raise Refused and change nothing.
        `audit_reason` is what the audit event says when it says more than the reason (the unit a
        tip went to); `officer` defaults to the signed-in one; `actor` is "system" for the worker
        and "public" for the holder of a secret link."""
        refused = self.refusal(request, obj, name, reason=reason, context=context, actor=actor, version=version)
        if refused is not None:
            raise refused
        transition = self._by_name[name]
        current = getattr(obj, self.state_attr)
        self._compare_and_set(obj, current, transition.target)
        kw = {"officer": officer} if officer is not None else {}
        if actor is not None:
            kw["actor"] = actor
        audit.record(
            request,
            f"{self.name}.{name}",
            object_type=self.name,
            object_id=object_id if object_id is not None else getattr(obj, "id", ""),
            from_state=current,
            to_state=transition.target,
            reason=(audit_reason if audit_reason is not None else (reason or "")).strip(),
            **kw,
        )
        return transition

    def _compare_and_set(self, obj, current: str, target: str) -> None:
        """Write the new state only if the row still holds the state (and version) this request
        read: of two officers, guardians or workers stepping one object at once, the second gets
        Refused(stale, 409) instead of both winning. PostgreSQL makes the second UPDATE wait for
        the first to commit and then finds no row; SQLite serialises writers the same way."""
        state = inspect(obj, raiseerr=False)
        if state is None or not state.persistent:
            setattr(obj, self.state_attr, target)  # not stored yet (or not a mapped object): nothing to race
            return
        dbsession = state.session
        dbsession.flush()  # earlier changes first, so the version compared is the one stored
        table = state.mapper.local_table
        where = [column == value for column, value in zip(state.mapper.primary_key, state.identity, strict=True)]
        where.append(table.c[self.state_attr] == current)
        values = {self.state_attr: target}
        has_version = "version" in table.c
        if has_version:
            where.append(table.c.version == obj.version)
            values["version"] = obj.version + 1
        with dbsession.no_autoflush:
            setattr(obj, self.state_attr, target)  # through the attribute, so the model's validators see it
            moved = dbsession.execute(update(table).where(*where).values(**values)).rowcount == 1
        if not moved:
            dbsession.expire(obj)  # the change (and what validators did with it) is dropped: reread on use
            raise Refused(self.stale_message, 409)
        set_committed_value(obj, self.state_attr, target)
        if has_version:
            set_committed_value(obj, "version", values["version"])

