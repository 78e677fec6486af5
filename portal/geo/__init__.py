"""Places: the one Position type and its validator, jurisdiction routing, the public unit map, and the
province's own base map (generated geography, tiles, the maps' settings for the browser)."""


def includeme(config):
    from portal.geo.map_config import map_attributes, point_map_html

    config.add_route("units_geo", "/units.geojson")
    config.add_route("map_tile", r"/map/tiles/{z:\d{1,2}}/{x:\d{1,6}}/{y:\d{1,6}}.png")
    config.add_route("map_places", "/map/places.json")
    config.add_request_method(map_attributes, "map_attributes", reify=True)
    config.add_request_method(point_map_html, "point_map_html", reify=True)
    config.scan(".views")
