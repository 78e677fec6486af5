import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.core.forms import make_form, submitted
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.units import services as units
from portal.units.forms import NewUnitSchema, UnitSchema
from portal.units.models import Unit
from portal.units.scope import units_in_scope


def _fields(data):
    data = dict(data)
    data["jurisdiction"] = units.parse_jurisdiction(data.get("jurisdiction"))
    return {k: data[k] for k in units.UNIT_FIELDS if k in data}


@view_config(route_name="staff_units", renderer="staff/units.html", permission=Permission.MANAGE_UNITS)
def unit_list(request):
    return {"units": units_in_scope(request.dbsession, request.identity)}


@view_config(route_name="staff_unit_new", renderer="staff/form.html", permission=Permission.MANAGE_UNITS)
def unit_new(request):
    form = make_form(request, NewUnitSchema(), buttons=(deform.Button("save", _("Create unit")),))
    heading = _("New unit")
    if request.method != "POST":
        return {"form": form.render({"phone_110": "110"}), "heading": heading}
    data, invalid = submitted(request, form)
    if invalid:
        return {"form": invalid, "heading": heading}
    if request.dbsession.execute(select(Unit.id).where(Unit.code == data["code"])).first():
        request.response.status_int = 400
        return {"form": form.render(data), "heading": heading,
                "error": _("A unit with this code already exists.")}
    parent = request.dbsession.get(Unit, int(data["parent_id"]))
    unit = units.create(request, parent=parent, code=data["code"], **_fields(data))
    request.session.flash(request.localizer.translate(_("Unit created.")))
    return HTTPSeeOther(request.route_path("staff_unit", id=unit.id))


@view_config(route_name="staff_unit", renderer="staff/form.html", permission=Permission.MANAGE_UNITS)
def unit_edit(context, request):
    unit = context.unit
    form = make_form(request, UnitSchema(), buttons=(deform.Button("save", _("Save")),))
    heading = _("Unit ${code}", mapping={"code": unit.code})
    if request.method != "POST":
        # colander.null, not None: None would be rendered as the text "None".
        appstruct = {k: colander.null if getattr(unit, k) is None else getattr(unit, k) for k in units.UNIT_FIELDS}
        return {"form": form.render(appstruct), "heading": heading, "unit": unit}
    data, invalid = submitted(request, form)
    if invalid:
        return {"form": invalid, "heading": heading, "unit": unit}
    units.update(request, unit, **_fields(data))
    request.session.flash(request.localizer.translate(_("Saved.")))
    return HTTPSeeOther(request.route_path("staff_unit", id=unit.id))
