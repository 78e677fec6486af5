"""A place on a form: words for people, and an optional point (from a map or the browser's
location) for routing. The page works without JavaScript: the point is then simply not given."""
import colander
import deform
from pyramid.interfaces import IRoutesMapper
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _
from portal.core.refused import Refused
from portal.geo.position import read_position

MAX_ACCURACY_M = 100_000  # beyond this a "position" says nothing useful about where
COORDINATES = ("lat", "lon", "accuracy_m")

# What the picker's script says: rendered into data-* attributes in the page's language, so the
# script itself holds no words. {distance} and {unit} are filled in by the script.
PICKER_MESSAGES = {
    "locating": _("Finding your location…"),
    "found": _("Location found, within about ${distance}.", mapping={"distance": "{distance}"}),
    "denied": _("Location was not shared. Type the place, or pick it on the map."),
    "unavailable": _("Your location could not be found. Type the place, or pick it on the map."),
    "area": _("This is in the area of ${unit}.", mapping={"unit": "{unit}"}),
    "outside": _("This point is outside the areas on the map."),
    "cleared": _("The point was cleared."),
    "map-label": _("Map of the police areas. Tap or click the place to mark it."),
    "map-failed": _("The map could not be loaded. Type the place, or the coordinates."),
    "pin": _("The marked point: drag it to move it."),
}
PICKER_LABELS = {
    "use": _("Use my location"),
    "clear": _("Clear the point"),
    "coordinates": _("Coordinates"),
    "coordinates-help": _("Decimal degrees, for example latitude 38.5 and longitude 116.2. "
                          "The map and the location button fill them in."),
}


class LocationWidget(deform.widget.MappingWidget):
    """Renders templates/deform/location.pt: the plain fields (they work without JavaScript), the
    hidden tools that static/js/location-picker.js turns on, and that script's words and URLs."""

    template = "location"
    # location.pt shows the title and description itself, at the top of its fieldset; "hidden" keeps
    # Deform's mapping_item.pt from repeating the description below it.
    hidden = True

    def get_template_values(self, field, cstruct, kw):
        values = super().get_template_values(field, cstruct, kw)
        request = (field.schema.bindings or {}).get("request") or get_current_request()
        translate = request.localizer.translate if request is not None else str
        # Rendered outside the application (a bare test request): the plain fields, no script.
        routed = request is not None and request.registry.queryUtility(IRoutesMapper) is not None
        values["picker_attributes"] = {f"data-msg-{key}": translate(text) for key, text in PICKER_MESSAGES.items()}
        values["picker_attributes"]["data-units-url"] = request.route_path("units_geo") if routed else ""
        values["picker_attributes"]["data-max-accuracy"] = str(MAX_ACCURACY_M)
        values["labels"] = {key: translate(text) for key, text in PICKER_LABELS.items()}
        values["script_src"] = request.static_path("portal:static/js/location-picker.js") if routed else ""
        # The real map (static/js/map.js, Leaflet) over the sketch, when the page is served by the portal.
        values["map_script_src"] = request.static_path("portal:static/js/map.js") if routed else ""
        if routed:
            values["picker_attributes"].update(request.map_attributes)
        # A wrong coordinate must be visible when the form comes back with its messages.
        values["coordinates_open"] = bool(field.error) and (
            field.error.msg is not None or any(field[name].error for name in COORDINATES))
        return values


def _number_input():
    # Numbers read left to right in Uyghur pages too; no autofill of stale positions.
    return deform.widget.TextInputWidget(attributes={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"})


def _point_complete(node, value):
    if (value.get("lat") is None) != (value.get("lon") is None):
        raise colander.Invalid(node, _("Give both latitude and longitude, or neither."))
    # The one validator again on what colander parsed: "NaN" and "inf" pass its Float and Range.
    try:
        read_position(value.get("lat"), value.get("lon"), value.get("accuracy_m"), max_accuracy_m=MAX_ACCURACY_M)
    except Refused as refused:
        raise colander.Invalid(node, refused.message) from None


def location_node(name="location", *, title=_("Place"), place_required=False, description=None):
    """A mapping node: place (text), lat, lon, accuracy_m (metres). lat/lon are both given or both
    None; coordinates are WGS-84 and checked against the world's bounds."""
    node = colander.SchemaNode(colander.Mapping(), name=name, title=title, validator=_point_complete,
                               description=description,
                               widget=LocationWidget())
    node.add(colander.SchemaNode(colander.String(), name="place", title=_("Place, in words"),
                                 missing=colander.required if place_required else "",
                                 validator=colander.Length(max=255)))
    node.add(colander.SchemaNode(colander.Float(), name="lat", title=_("Latitude"), missing=None,
                                 widget=_number_input(),
                                 validator=colander.Range(-90, 90, min_err=_("Latitude is between -90 and 90."),
                                                          max_err=_("Latitude is between -90 and 90."))))
    node.add(colander.SchemaNode(colander.Float(), name="lon", title=_("Longitude"), missing=None,
                                 widget=_number_input(),
                                 validator=colander.Range(-180, 180,
                                                          min_err=_("Longitude is between -180 and 180."),
                                                          max_err=_("Longitude is between -180 and 180."))))
    node.add(colander.SchemaNode(colander.Float(), name="accuracy_m", title=_("Accuracy (metres)"), missing=None,
                                 widget=_number_input(),
                                 validator=colander.Range(0, MAX_ACCURACY_M)))
    return node
