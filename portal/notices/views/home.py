from pyramid.view import view_config

from portal.core.caching import shared
from portal.notices import card_reading
from portal.notices.purge_tags import LIST
from portal.units.directory import directory


@view_config(route_name="home", request_method="GET", renderer="home.html")
def home(request):
    shared(request, LIST)
    return {
        "missing": card_reading.latest_cards(request.dbsession, "missing_person", limit=6),
        "recent": card_reading.published_cards(request.dbsession, size=8)[0],
        "units_by_id": directory(request.dbsession).by_id,  # the cards' badges
    }
