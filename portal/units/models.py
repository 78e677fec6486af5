"""Police units: province -> city -> county bureaus, each with its jurisdiction."""
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.meta import Base

LEVELS = ("province", "city", "county")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Administrative division code, e.g. 139900 (fictional province).
    code: Mapped[str] = mapped_column(String(12), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Codes from the root down to this unit, "/139900/139901/", so a whole subtree is one
    # indexed prefix match: this is how unit scope is queried.
    path: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    name_ug: Mapped[str] = mapped_column(String(120), default="")
    # GeoJSON Polygon or MultiPolygon geometry, WGS-84.
    jurisdiction: Mapped[str | None] = mapped_column(Text)
    phone_110: Mapped[str] = mapped_column(String(32), default="110")
    sms_suffix: Mapped[str] = mapped_column(String(12), default="")
    is_command_center: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped["Unit | None"] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent", order_by="Unit.code")

    def name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        if locale.startswith("ug") and self.name_ug:
            return self.name_ug
        return self.name_zh

    @property
    def ancestor_codes(self) -> list[str]:
        """This unit's code and those above it, root first."""
        return [c for c in self.path.split("/") if c]

    def contains(self, other: "Unit") -> bool:
        """True when `other` is this unit or lies below it."""
        return other.path.startswith(self.path)

    @staticmethod
    def make_path(parent: "Unit | None", code: str) -> str:
        return (parent.path if parent else "/") + code + "/"
