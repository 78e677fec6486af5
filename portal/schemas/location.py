"""A place on a form: words for people, and an optional point (from a map or the browser's
location) for routing. The page works without JavaScript: the point is then simply not given."""
import colander
import deform

from ..i18n import _

MAX_ACCURACY_M = 100_000  # beyond this a "position" says nothing useful about where


def _point_complete(node, value):
    if (value.get("lat") is None) != (value.get("lon") is None):
        raise colander.Invalid(node, _("Give both latitude and longitude, or neither."))


def location_node(name="location", *, title=_("Place"), place_required=False, description=None):
    """A mapping node: place (text), lat, lon, accuracy_m (metres). lat/lon are both given or both
    None; coordinates are WGS-84 and checked against the world's bounds."""
    node = colander.SchemaNode(colander.Mapping(), name=name, title=title, validator=_point_complete,
                               description=description,
                               widget=deform.widget.MappingWidget(template="location"))
    node.add(colander.SchemaNode(colander.String(), name="place", title=_("Place, in words"),
                                 missing=colander.required if place_required else "",
                                 validator=colander.Length(max=255)))
    node.add(colander.SchemaNode(colander.Float(), name="lat", title=_("Latitude"), missing=None,
                                 validator=colander.Range(-90, 90, min_err=_("Latitude is between -90 and 90."),
                                                          max_err=_("Latitude is between -90 and 90."))))
    node.add(colander.SchemaNode(colander.Float(), name="lon", title=_("Longitude"), missing=None,
                                 validator=colander.Range(-180, 180,
                                                          min_err=_("Longitude is between -180 and 180."),
                                                          max_err=_("Longitude is between -180 and 180."))))
    node.add(colander.SchemaNode(colander.Float(), name="accuracy_m", title=_("Accuracy (metres)"), missing=None,
                                 validator=colander.Range(0, MAX_ACCURACY_M)))
    return node
