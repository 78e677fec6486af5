"""The notices' worker jobs: published notices past their expiry time expire, and the pages of notices
published or changed since are rendered ahead into the page store."""
import time

from sqlalchemy import select

from portal.core import generation
from portal.core.i18n import LANGUAGES
from portal.core.meta import utcnow
from portal.notices.editing import STAFF_KINDS
from portal.notices.models import Notice
from portal.notices.workflow import NOTICE_WORKFLOW

WORKER_SECONDS = 5.0  # rendering ahead yields to the worker's other jobs after this long per round
WORKER_BATCH = 100


def render_ahead(request, seconds: float = WORKER_SECONDS, batch: int = WORKER_BATCH) -> int:
    """Worker job: store the default-language page and API answer of public notices that have none
    for their current stamp and this code, newest first, for up to `seconds`. Other languages are
    stored on their first view."""
    pages = request.registry.get("notice_pages")
    if pages is None:
        return 0
    locale = pages.default_locale if pages.default_locale in LANGUAGES else "zh_CN"
    variants = {"html": f"html:{locale}", "api": f"api:{locale}"}
    # Tests hand their session to the renders too (see NoticePages.connection).
    extra = {k: request.environ[k] for k in ("app.dbsession", "tm.active", "tm.manager") if k in request.environ}
    deadline = time.monotonic() + seconds
    done, after = 0, None
    # Walks down by keyset: a notice whose page cannot be stored (an error page) is passed once per round.
    while time.monotonic() < deadline:
        due = pages.due(request.dbsession, variants.values(), batch, after)
        if not due:
            break
        rows = []
        for after in due:
            for kind, variant in variants.items():
                environ = pages.blank_environ(after[1], kind, locale, extra)
                looked_up = pages.lookup(environ, after[1], variant)  # the stamp, before the render
                if looked_up is not None and looked_up.stored is None:
                    rows.append(pages.row(after[1], variant, looked_up.stamp, *pages.render(environ)))
            done += 1
            if time.monotonic() >= deadline:
                break
        rows = [r for r in rows if r is not None]
        if rows:
            pages.store(extra, rows)  # one transaction per batch
    return done


def expire_due(request, now=None) -> int:
    """Move published notices past their expiry time to expired (run by the worker). Missing-person
    appeals follow their request's workflow; past expires_at they are already off public pages."""
    now = now or utcnow()
    due = request.dbsession.execute(
        select(Notice).where(Notice.state == "published", Notice.kind.in_(STAFF_KINDS),
                             Notice.expires_at.is_not(None), Notice.expires_at <= now)
    ).scalars().all()
    for notice in due:
        NOTICE_WORKFLOW.apply(request, notice, "expire", actor="system",
                              reason=f"expiry time {notice.expires_at:%Y-%m-%d %H:%M} UTC passed")
        notice.updated_at = now
        notice.ended_at = notice.expires_at  # it left the public site then, not when the worker came by
    if due:
        generation.invalidate(request)
    return len(due)
