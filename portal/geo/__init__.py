"""Places: the one Position type and its validator, jurisdiction routing, the public unit map."""


def includeme(config):
    config.add_route("units_geo", "/units.geojson")
    config.scan(".views")
