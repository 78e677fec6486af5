"""/units.geojson: the public outline of every unit's area, for the location picker's map."""
import json

from pyramid.response import Response
from pyramid.view import view_config

from portal.geo import unit_map


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
