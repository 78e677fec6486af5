"""The units' generation: one number, shared by every application server, that goes up with every
change made through units/services.py. Each server's routing index (geo/routing.py) reads it in its
fingerprint of the units table, so an administrator's edit of a jurisdiction is routed by on every
server at once. (Public pages are kept exact by the caching proxy's tag purges, core/caching.py.)"""
from sqlalchemy import BigInteger, Integer, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base


class PublicGeneration(Base):
    """One row whose number goes up with every change to the units."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


def invalidate(request) -> None:
    """Call in the transaction of a change to the units: every server's routing index is built again
    once it commits."""
    invalidate_session(request.dbsession)


def invalidate_session(dbsession) -> None:
    """The same, for a command-line script's session (portal-create-unit)."""
    dbsession.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))
