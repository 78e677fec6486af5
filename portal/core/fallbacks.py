"""The call and SMS links every public page and error page shows, in plain HTML."""
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Fallbacks:
    police: str
    traffic: str
    sms: str

    @classmethod
    def from_settings(cls, settings) -> "Fallbacks":
        return cls(
            police=settings["portal.fallback.police"],
            traffic=settings["portal.fallback.traffic"],
            sms=settings["portal.fallback.sms"],
        )

    def sms_number(self, unit=None) -> str:
        """12110 plus the routing suffix of the unit for the sender's place, when known."""
        return self.sms + (unit.sms_suffix if unit is not None and unit.sms_suffix else "")

    def sms_href(self, body: str = "", unit=None) -> str:
        number = self.sms_number(unit)
        if not body:
            return f"sms:{number}"
        # "?&body=" is read by both Android ("?body=") and iOS ("&body=") messaging apps.
        return f"sms:{number}?&body={quote(body, safe='')}"
