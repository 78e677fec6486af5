from pyramid.view import view_config
from sqlalchemy import select

from portal.core.caching import shared
from portal.core.resources import id_from_matchdict
from portal.media.models import Media
from portal.media.responses import copy_response
from portal.notices.models import Notice
from portal.notices.purge_tags import media_tags


@view_config(route_name="media", request_method="GET")
def public_media(request):
    """Public copies of media of published notices; originals are never served here."""
    media_id = id_from_matchdict(request)
    media = request.dbsession.execute(
        select(Media).join(Notice).where(Media.id == media_id, Notice.state == "published")
    ).scalar_one_or_none()
    if media is not None:  # a closed appeal's photos leave the proxies with its notice's tag
        shared(request, *media_tags(media), vary_language=False)
    return copy_response(request, media, thumb=request.matchdict["variant"] == "thumb",
                         cache_control="public, max-age=300")
