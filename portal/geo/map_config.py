"""What every map on a page needs to know, as data-* attributes for static/js/map.js: the tile URL
template and its attribution (a setting, or the portal's own base map), the zoom range, where the
province lies, the places to name, and where the vendored Leaflet lives.

They depend only on the settings, the base map (so the units' fingerprint), the language and the
application's mount point, so each process computes them once per such combination, and the
read-only point map's unchanging HTML with them (`point_map_html`), instead of on every page."""
import os
import threading

from markupsafe import Markup, escape

from portal.core.i18n import _
from portal.geo import basemap, tiles

LEAFLET = "portal:static/vendor/leaflet-1.9.4/"
OWN_ATTRIBUTION = _("Base map: the police areas (drawn by this portal)")
ZOOM_IN, ZOOM_OUT = _("Zoom in"), _("Zoom out")
POINT_MAP_LABEL = _("Sketch map of the police areas, with the point marked.")

_lock = threading.Lock()
_KEEP = 64  # combinations kept per application: languages x mount points x the few latest base maps


def tile_cache_dir(settings) -> str:
    return settings.get("portal.map.tile_cache_dir") or os.path.join(settings["portal.media_dir"], ".map-tiles")


def own_tile_template(request, version: str) -> str:
    path = request.route_path("map_tile", z="0", x="1", y="2")
    # route_path would escape the braces: put Leaflet's placeholders in after.
    return path.replace("/0/1/2.png", "/{z}/{x}/{y}.png") + f"?v={version}"


def _computed_for(request) -> tuple[dict, dict]:
    geo = None if request.registry.settings.get("portal.map.tiles", "").strip() else basemap.geography(
        request.dbsession)
    # Kept on the registry: one per application (its settings), (base map, language, mount point) -> both
    computed = request.registry.get("map_config_computed")
    if computed is None:
        computed = request.registry.setdefault("map_config_computed", {})
    key = (geo.version if geo is not None else None, request.locale_name, request.script_name)
    found = computed.get(key)
    if found is None:
        attributes = _attributes(request, geo)
        found = (attributes, _point_map_parts(request, attributes))
        with _lock:
            if len(computed) >= _KEEP:
                computed.clear()
            computed[key] = found
    return found


def map_attributes(request) -> dict:
    """The data-* attributes of a map's element (reified per request as request.map_attributes)."""
    return dict(_computed_for(request)[0])


def point_map_html(request) -> dict:
    """What templates/_point_map.html writes around a point that never changes from one point to the
    next: the figure's attributes after data-accuracy, and the two scripts (reified per request)."""
    return _computed_for(request)[1]


def _point_map_parts(request, attributes: dict) -> dict:
    translate = request.localizer.translate
    attrs = (f'\n        data-units-url="{escape(request.route_path("units_geo"))}"'
             f'\n        data-msg-map-label="{escape(translate(POINT_MAP_LABEL))}"'
             + "".join(f' {name}="{escape(value)}"' for name, value in attributes.items()))
    scripts = (f'<script src="{escape(request.static_path("portal:static/js/map.js"))}" defer></script>\n'
               f'<script src="{escape(request.static_path("portal:static/js/location-picker.js"))}" defer></script>')
    return {"attributes": Markup(attrs), "scripts": Markup(scripts)}  # noqa: S704 -- every value escaped


def _attributes(request, geo) -> dict:
    settings = request.registry.settings
    translate = request.localizer.translate
    attributes = {
        "data-map-leaflet-js": request.static_path(LEAFLET + "leaflet.js"),
        "data-map-leaflet-css": request.static_path(LEAFLET + "leaflet.css"),
        "data-map-msg-zoom-in": translate(ZOOM_IN),
        "data-map-msg-zoom-out": translate(ZOOM_OUT),
    }
    template = settings.get("portal.map.tiles", "").strip()
    if template:
        attributes.update({
            "data-map-tiles": template,
            "data-map-labels": settings.get("portal.map.labels", "").strip(),
            "data-map-attribution": settings.get("portal.map.attribution", ""),
            "data-map-subdomains": settings.get("portal.map.subdomains", ""),
            "data-map-max-zoom": settings.get("portal.map.max_zoom", "18"),
        })
        return attributes
    if geo.bounds == (0.0, 0.0, 0.0, 0.0):
        return attributes  # no units with areas yet: no base map; scripts keep the sketch
    west, south, east, north = geo.bounds
    margin = tiles.MARGIN_DEGREES
    attributes.update({
        "data-map-tiles": own_tile_template(request, geo.version),
        "data-map-attribution": translate(OWN_ATTRIBUTION),
        "data-map-min-zoom": str(tiles.MIN_ZOOM),
        "data-map-max-zoom": str(tiles.MAX_ZOOM),
        "data-map-bounds": f"{south - margin:.4f},{west - margin:.4f},{north + margin:.4f},{east + margin:.4f}",
        "data-map-view": f"{south:.4f},{west:.4f},{north:.4f},{east:.4f}",
        "data-map-places": request.route_path("map_places", _query={"v": geo.version}),
    })
    return attributes
