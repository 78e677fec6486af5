"""Retention: how long personal data is kept once its matter has ended, and the one way every purge
job (each domain's jobs.py) reads its period, takes a bounded batch and reports what it did.

A purge job runs in the worker's transaction for its kind: it takes at most `portal.retention.batch`
rows (oldest first), so a backlog is worked off over several rounds and no transaction holds many
locks for long; on PostgreSQL rows another transaction holds are skipped (FOR UPDATE SKIP LOCKED) and
taken on a later round. Each row is marked (`purged_at`) or deleted, so a second run finds nothing
more. A run that purged anything writes ONE audit event for its kind, with counts and never content."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.audit import chain as audit
from portal.core.meta import utcnow

ACTION = "retention.purge"
DEFAULT_BATCH = 200


@dataclass
class PurgeRun:
    """One run of one kind's purge: its cut-off, its batch size and what it removed."""

    request: object
    kind: str  # "alarm", "tip", ...: the audit event's object type
    before: datetime  # rows that ended before this are due
    batch: int
    now: datetime
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def due(self, query) -> list:
        """The rows of `query` (already ordered and filtered) this run purges."""
        query = query.limit(self.batch)
        if self.request.dbsession.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # a row being changed now waits for the next round
        return self.request.dbsession.execute(query).scalars().all()

    def add(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def report(self) -> int:
        """Write the run's one audit event (only if it purged anything); return the rows purged."""
        if self.rows:
            details = ", ".join(f"{n} {what}" for what, n in self.counts.items() if n)
            audit.record(self.request, ACTION, officer=None, actor="system", ip="", object_type=self.kind,
                         reason=f"{self.rows} {self.kind}(s) past retention" + (f": {details}" if details else ""))
        return self.rows


def start(request, kind: str, setting: str, now: datetime | None = None) -> PurgeRun:
    """A purge run of `kind` whose period (in days) is the setting `setting`."""
    now = now or utcnow()
    settings = request.registry.settings
    days = float(settings[setting])
    batch = int(settings.get("portal.retention.batch", DEFAULT_BATCH))
    return PurgeRun(request, kind, now - timedelta(days=days), max(batch, 1), now)
