from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import FileResponse
from pyramid.view import view_config
from sqlalchemy import select

from ...models import Media, Notice
from ...routes import id_from_matchdict


@view_config(route_name="media")
def public_media(request):
    """Public copies of media of published notices; originals are never served here."""
    media_id = id_from_matchdict(request)
    media = request.dbsession.execute(
        select(Media).join(Notice).where(Media.id == media_id, Notice.state == "published")
    ).scalar_one_or_none()
    key = None
    if media is not None:
        key = media.thumb_key if request.matchdict["variant"] == "thumb" else media.public_key
    store = request.registry["media_store"]
    if key is None or not store.exists(key):
        raise HTTPNotFound()
    response = FileResponse(store.path(key), request=request, content_type="image/jpeg")
    # Short public cache: a resolved appeal's photos must disappear soon from caches too.
    response.cache_control = "public, max-age=300"
    return response
