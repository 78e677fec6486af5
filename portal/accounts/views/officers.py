import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.accounts import services as officers
from portal.accounts.forms import ROLE_LABELS, NewOfficerSchema, OfficerSchema
from portal.accounts.models import Officer
from portal.core.forms import make_form, submitted
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.units.models import Unit
from portal.units.scope import in_scope_clause


@view_config(route_name="staff_officers", renderer="staff/officers.html", permission=Permission.MANAGE_OFFICERS)
def officer_list(request):
    rows = request.dbsession.execute(
        select(Officer).join(Unit, Officer.unit_id == Unit.id)
        .where(in_scope_clause(request.identity)).order_by(Unit.path, Officer.username)
    ).scalars().all()
    return {"officers": rows, "role_labels": ROLE_LABELS}


@view_config(route_name="staff_officer_new", renderer="staff/form.html", permission=Permission.MANAGE_OFFICERS)
def officer_new(request):
    form = make_form(request, NewOfficerSchema(), buttons=(deform.Button("save", _("Create officer")),))
    heading = _("New officer")
    if request.method != "POST":
        return {"form": form.render(), "heading": heading}
    data, invalid = submitted(request, form)
    if invalid:
        return {"form": invalid, "heading": heading}
    if officers.username_taken(request.dbsession, data["username"]):
        request.response.status_int = 400
        data.pop("password")
        return {"form": form.render(data), "heading": heading, "error": _("This username is taken.")}
    officer = officers.create(
        request.dbsession, username=data["username"], password=data["password"],
        unit=request.dbsession.get(Unit, int(data["unit_id"])), roles=data["roles"],
        display_name=data["display_name"], request=request,
    )
    request.session.flash(request.localizer.translate(_("Officer created.")))
    return HTTPSeeOther(request.route_path("staff_officer", id=officer.id))


@view_config(route_name="staff_officer", renderer="staff/form.html", permission=Permission.MANAGE_OFFICERS)
def officer_edit(context, request):
    officer = context.officer
    form = make_form(request, OfficerSchema(), buttons=(deform.Button("save", _("Save")),))
    heading = _("Officer ${name}", mapping={"name": officer.username})
    page = {"heading": heading, "subject": officer}
    if request.method != "POST":
        appstruct = {"display_name": officer.display_name, "unit_id": str(officer.unit_id),
                     "roles": officer.roles, "active": officer.active}
        return {"form": form.render(appstruct), **page}
    data, invalid = submitted(request, form)
    if invalid:
        return {"form": invalid, **page}
    officers.update(
        request, officer, display_name=data["display_name"],
        unit=request.dbsession.get(Unit, int(data["unit_id"])), roles=data["roles"],
        active=data["active"], new_password=data["new_password"],
        reset_totp=data["reset_totp"], unlock=data["unlock"],
    )
    request.session.flash(request.localizer.translate(_("Saved.")))
    return HTTPSeeOther(request.route_path("staff_officer", id=officer.id))
