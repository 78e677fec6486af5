"""State of the site as a whole, shared by every application server."""
from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class PublicGeneration(Base):
    """One row whose number goes up with every change to public content. Each server watches it to
    drop its cached public pages, so a publication or a closed appeal shows everywhere within about a
    second, however many servers run."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
