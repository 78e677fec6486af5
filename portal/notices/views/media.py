from pyramid.view import view_config
from sqlalchemy import select

from portal.core.resources import id_from_matchdict
from portal.media.models import Media
from portal.media.responses import copy_response
from portal.notices.models import Notice


@view_config(route_name="media", request_method="GET")
def public_media(request):
    """Public copies of media of published notices; originals are never served here."""
    media_id = id_from_matchdict(request)
    media = request.dbsession.execute(
        select(Media).join(Notice).where(Media.id == media_id, Notice.state == "published")
    ).scalar_one_or_none()
    # Short public cache: a resolved appeal's photos must disappear soon from caches too.
    return copy_response(request, media, thumb=request.matchdict["variant"] == "thumb",
                         cache_control="public, max-age=300")
