"""The public generation: one number, shared by every application server, that goes up with every
change to public content. Servers watch it to drop what they cached of public pages (the notice page
cache, the routing index)."""
import logging
import threading
import time

from sqlalchemy import BigInteger, Integer, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base

log = logging.getLogger(__name__)


class PublicGeneration(Base):
    """One row whose number goes up with every change to public content. Each server watches it to
    drop its cached public pages, so a publication or a closed appeal shows everywhere within about a
    second, however many servers run."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


def invalidate(request) -> None:
    """Call in the transaction of any change that a public page shows (publication, an edit, a
    resolution, unit names): every server's cache drops its pages once the change commits."""
    request.dbsession.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))
    cache = request.registry.get("page_cache")
    if cache is None:
        return
    cache.clear()
    # Again after the commit: a page rendered from the old rows meanwhile must not stay cached here.
    tm = getattr(request, "tm", None)
    if tm is not None:
        tm.get().addAfterCommitHook(lambda committed: cache.clear())


class GenerationWatch:
    """Reads the shared public generation at most once per interval; says when it has moved."""

    def __init__(self, engine, interval: float, clock=time.monotonic):
        self.engine = engine
        self.interval = interval
        self._clock = clock
        self._seen = None
        self._next_check = 0.0
        self._lock = threading.Lock()

    def moved(self) -> bool:
        now = self._clock()
        with self._lock:
            if now < self._next_check:
                return False
            self._next_check = now + self.interval
        try:
            with self.engine.connect() as connection:
                current = connection.execute(select(PublicGeneration.generation)).scalar()
        except SQLAlchemyError:
            # The database is away: cached public pages are the best we can serve meanwhile.
            log.warning("public generation unreadable; keeping cached pages")
            return False
        with self._lock:
            moved, self._seen = self._seen is not None and current != self._seen, current
        return moved
