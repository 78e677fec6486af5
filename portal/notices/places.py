"""Where a missing person was last seen, as the public may see it: only as precisely as the dispatcher
chose (exact, about 500 m, about 2 km, or the district only, i.e. no point at all).

The point is coarsened here, on the server: a coarse choice never sends the exact point to the page,
the API or a feed. A minor's point is never exact (the place may be their home): at best about 500 m."""
import math

from portal.core.i18n import _

PRECISION_LABELS = {
    "exact": _("exact point"),
    "500m": _("about 500 m"),
    "2km": _("about 2 km"),
    "district": _("district only (no map)"),
}
METRES = {"500m": 500, "2km": 2000}
METRES_PER_DEGREE = 111_320


def effective_precision(details) -> str:
    precision = details.last_seen_precision or "district"
    if precision == "exact" and details.is_minor:
        return "500m"
    return precision


def _snap(value: float, step: float) -> float:
    """The centre of the grid cell the value falls in: every point of a cell gives the same answer."""
    return (math.floor(value / step) + 0.5) * step


def public_point(details) -> dict | None:
    """{"lat", "lon", "precision", "radius_m"} to show, or None (district only or no point given)."""
    if details is None or details.last_seen_lat is None or details.last_seen_lon is None:
        return None
    precision = effective_precision(details)
    if precision == "district":
        return None
    lat, lon = details.last_seen_lat, details.last_seen_lon
    if precision == "exact":
        return {"lat": round(lat, 5), "lon": round(lon, 5), "precision": precision, "radius_m": None}
    metres = METRES[precision]
    lat_step = metres / METRES_PER_DEGREE
    lat = max(-90.0, min(90.0, _snap(lat, lat_step)))
    lon_step = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    lon = max(-180.0, min(180.0, _snap(lon, lon_step)))
    return {"lat": round(lat, 5), "lon": round(lon, 5), "precision": precision, "radius_m": metres}
