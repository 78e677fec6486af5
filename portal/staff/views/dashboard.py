from pyramid.view import view_config

from portal.accounts.forms import ROLE_LABELS
from portal.core.permissions import Permission
from portal.staff import dashboard


@view_config(route_name="staff", renderer="staff/dashboard.html", permission=Permission.STAFF)
def staff_home(request):
    officer = request.identity
    return {"unit": officer.unit, "queues": dashboard.queue_counts(request.dbsession, officer),
            "role_labels": ROLE_LABELS}
