from pyramid.view import view_config

from portal.core.caching import shared
from portal.core.i18n import TranslatedTuple
from portal.notices import card_reading
from portal.notices.purge_tags import LIST
from portal.units.directory import directory


@view_config(route_name="home", request_method="GET", renderer="home.html")
def home(request):
    shared(request, LIST)
    return {  # the cards hold no translation strings: template_globals need not walk them
        "missing": TranslatedTuple(card_reading.latest_cards(request.dbsession, "missing_person", limit=6)),
        "recent": TranslatedTuple(card_reading.published_cards(request.dbsession, size=8)[0]),
        "units_by_id": directory(request.dbsession).by_id,  # the cards' badges
    }
