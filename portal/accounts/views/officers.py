"""The administrators' officer pages: the officers in scope, a new officer, one officer's roles and state."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.accounts import services as officers
from portal.accounts.forms import ROLE_LABELS, NewOfficerSchema, OfficerSchema
from portal.accounts.models import Officer
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.core.refused import Refused
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
class NewOfficer(FormView):
    schema_factory = NewOfficerSchema
    buttons = (("save", _("Create officer")),)

    def page(self, **values):
        return {"heading": _("New officer"), **values}

    def save_success(self, data):
        request = self.request
        if officers.username_taken(request.dbsession, data["username"]):
            raise Refused(_("This username is taken."), 400)  # the password is never shown again
        officer = officers.create(
            request.dbsession, username=data["username"], password=data["password"],
            unit=request.dbsession.get(Unit, int(data["unit_id"])), roles=data["roles"],
            display_name=data["display_name"], request=request,
        )
        request.session.flash(request.localizer.translate(_("Officer created.")))
        return HTTPSeeOther(request.route_path("staff_officer", id=officer.id))


@view_config(route_name="staff_officer", renderer="staff/form.html", permission=Permission.MANAGE_OFFICERS)
class EditOfficer(FormView):
    schema_factory = OfficerSchema
    buttons = (("save", _("Save")),)

    def appstruct(self):
        officer = self.context.officer
        return {"display_name": officer.display_name, "unit_id": str(officer.unit_id),
                "roles": officer.roles, "active": officer.active}

    def page(self, **values):
        officer = self.context.officer
        return {"heading": _("Officer ${name}", mapping={"name": officer.username}), "subject": officer, **values}

    def save_success(self, data):
        request, officer = self.request, self.context.officer
        officers.update(
            request, officer, display_name=data["display_name"],
            unit=request.dbsession.get(Unit, int(data["unit_id"])), roles=data["roles"],
            active=data["active"], new_password=data["new_password"],
            reset_totp=data["reset_totp"], unlock=data["unlock"],
        )
        request.session.flash(request.localizer.translate(_("Saved.")))
        return HTTPSeeOther(request.route_path("staff_officer", id=officer.id))
