"""/units.geojson: the public outline of every unit's area, for the location picker's map; and the
portal's own base map: its tiles and the places the browser names on it."""
import json

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from portal.geo import basemap, tiles, unit_map
from portal.geo.map_config import tile_cache_dir

YEAR = 365 * 24 * 3600
HOUR = 3600


@view_config(route_name="units_geo", request_method="GET")
def units_geojson(request):
    body = json.dumps(unit_map.feature_collection(request.dbsession, request.locale_name),
                      ensure_ascii=False, separators=(",", ":"))
    response = Response(body=body.encode("utf-8"), content_type="application/geo+json", charset="utf-8")
    # Units change rarely; names follow the visitor's language (header or cookie).
    response.cache_control = "public, max-age=300"
    response.vary = ("Accept-Language", "Cookie")
    response.md5_etag()
    response.conditional_response = True
    return response


def _cache_for(request, version: str) -> str:
    # A URL naming this map's version never changes its answer; any other (no or an old version) may.
    if request.GET.get("v") == version:
        return f"public, max-age={YEAR}, immutable"
    return f"public, max-age={HOUR}"


@view_config(route_name="map_tile", request_method="GET")
def map_tile(request):
    z, x, y = (int(request.matchdict[key]) for key in ("z", "x", "y"))
    geo = basemap.geography(request.dbsession)
    if not tiles.has_tile(geo, z, x, y):
        raise HTTPNotFound()
    body = tiles.cached_tile(tile_cache_dir(request.registry.settings), geo, z, x, y)
    response = Response(body=body, content_type="image/png")
    response.headers["Cache-Control"] = _cache_for(request, geo.version)
    response.etag = f"{geo.version}-{z}-{x}-{y}"
    response.conditional_response = True
    return response


@view_config(route_name="map_places", request_method="GET")
def map_places(request):
    geo = basemap.geography(request.dbsession)
    body = json.dumps({"version": geo.version, "places": geo.places_json()}, ensure_ascii=False,
                      separators=(",", ":"))
    response = Response(body=body.encode("utf-8"), content_type="application/json", charset="utf-8")
    response.headers["Cache-Control"] = _cache_for(request, geo.version)
    response.etag = geo.version
    response.conditional_response = True
    return response
