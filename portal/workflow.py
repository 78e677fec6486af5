"""A small state-machine engine: each workflow is declared once, checked when the app starts,
and every transition it performs writes an audit event."""
from dataclasses import dataclass, field

from portal.audit import chain as audit


class WorkflowError(Exception):
    """The declaration itself is inconsistent (found at start-up, never at request time)."""


class TransitionRefused(Exception):
    """A transition that is not allowed from the current state, or lacks its reason."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    needs_reason: bool = False


@dataclass
class Workflow:
    name: str  # also the audit object type, e.g. "notice"
    states: tuple[str, ...]
    initial: str
    final: tuple[str, ...]
    transitions: tuple[Transition, ...]
    state_attr: str = "state"
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
            raise TransitionRefused(f"{self.name} has no transition {name!r}") from None

    def available(self, obj, permits=lambda permission: True) -> list[Transition]:
        """Transitions open from the object's state that the caller's permission check allows."""
        state = getattr(obj, self.state_attr)
        return [t for t in self.transitions if state in t.sources and permits(t.permission)]

    def apply(self, request, obj, name: str, *, reason: str = "", officer=None, actor=None, object_id=None):
        """Move obj along one transition and audit it; the caller has checked the permission."""
        transition = self.transition(name)
        current = getattr(obj, self.state_attr)
        if current not in transition.sources:
            raise TransitionRefused(f"cannot {name} a {self.name} that is {current}")
        reason = (reason or "").strip()
        if transition.needs_reason and not reason:
            raise TransitionRefused(f"{name} needs a reason")
        setattr(obj, self.state_attr, transition.target)
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
            reason=reason,
            **kw,
        )
        return transition
