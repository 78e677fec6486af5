from pyramid.view import view_config

from portal.core.caching import shared
from portal.notices import reading as notices
from portal.notices.purge_tags import LIST
from portal.units.directory import directory


@view_config(route_name="home", request_method="GET", renderer="home.html")
def home(request):
    shared(request, LIST)
    return {
        "missing": notices.latest(request.dbsession, "missing_person", limit=6, cards=True),
        "recent": notices.published_page(request.dbsession, size=8, cards=True)[0],
        "units_by_id": directory(request.dbsession).by_id,  # the cards' badges
    }
