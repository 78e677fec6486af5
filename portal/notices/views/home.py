from pyramid.view import view_config

from portal.core.caching import shared
from portal.notices import reading as notices
from portal.notices.purge_tags import LIST


@view_config(route_name="home", request_method="GET", renderer="home.html")
def home(request):
    shared(request, LIST)
    return {
        "missing": notices.latest(request.dbsession, "missing_person", limit=6),
        "recent": notices.published_page(request.dbsession, size=8)[0],
    }
