"""The administrators' unit pages: the units in scope, a new unit, one unit's details and jurisdiction."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.units import services as units
from portal.units.forms import NewUnitSchema, UnitSchema
from portal.units.models import Unit
from portal.units.scope import units_in_scope

LEVEL_LABELS = {"province": _("province"), "city": _("city"), "county": _("county")}


def _fields(data):
    data = dict(data)
    data["jurisdiction"] = units.parse_jurisdiction(data.get("jurisdiction"))
    return {k: data[k] for k in units.UNIT_FIELDS if k in data}


@view_config(route_name="staff_units", renderer="staff/units.html", permission=Permission.MANAGE_UNITS)
def unit_list(request):
    return {"units": units_in_scope(request.dbsession, request.identity), "level_labels": LEVEL_LABELS}


@view_config(route_name="staff_unit_new", renderer="staff/form.html", permission=Permission.MANAGE_UNITS)
class NewUnit(FormView):
    schema_factory = NewUnitSchema
    buttons = (("save", _("Create unit")),)

    def appstruct(self):
        return {"phone_110": "110"}

    def page(self, **values):
        return {"heading": _("New unit"), **values}

    def save_success(self, data):
        request = self.request
        if request.dbsession.execute(select(Unit.id).where(Unit.code == data["code"])).first():
            raise Refused(_("A unit with this code already exists."), 400)
        parent = request.dbsession.get(Unit, int(data["parent_id"]))
        unit = units.create(request, parent=parent, code=data["code"], **_fields(data))
        request.session.flash(request.localizer.translate(_("Unit created.")))
        return HTTPSeeOther(request.route_path("staff_unit", id=unit.id))


@view_config(route_name="staff_unit", renderer="staff/form.html", permission=Permission.MANAGE_UNITS)
class EditUnit(FormView):
    schema_factory = UnitSchema
    buttons = (("save", _("Save")),)

    def appstruct(self):
        unit = self.context.unit
        # colander.null, not None: None would be rendered as the text "None".
        return {k: colander.null if getattr(unit, k) is None else getattr(unit, k) for k in units.UNIT_FIELDS}

    def page(self, **values):
        return {"heading": _("Unit ${code}", mapping={"code": self.context.unit.code}), "unit": self.context.unit,
                **values}

    def save_success(self, data):
        unit = self.context.unit
        units.update(self.request, unit, **_fields(data))
        self.request.session.flash(self.request.localizer.translate(_("Saved.")))
        return HTTPSeeOther(self.request.route_path("staff_unit", id=unit.id))
