"""Atom and CAP feeds of the published notices."""
from datetime import timedelta

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from portal.core.caching import shared
from portal.core.i18n import _
from portal.core.links import public_host, public_url
from portal.core.meta import utcnow
from portal.notices import cap, feeds, photos
from portal.notices.purge_tags import LIST, notice_tags

CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"
PHOTO_TYPE = "image/jpeg"  # public copies are always re-encoded JPEG (media/images.py)
FEED_TITLE = _("Safety Portal: police notices")
CLOSED_TITLE = _("This appeal has been closed")
ENDED_TITLE = _("This notice is no longer in force")


def _xml(body: bytes, content_type: str) -> Response:
    response = Response(body=body, content_type=content_type, charset="utf-8")
    response.cache_control = "public, max-age=60"
    return response


def cap_sender(request) -> str:
    return request.registry.settings["portal.cap_sender"] or f"safety-portal@{public_host(request)}"


def cap_periods(request) -> dict:
    settings = request.registry.settings
    return {"horizon": timedelta(days=float(settings["portal.cap.expires_days"])),
            "cancel_for": timedelta(days=float(settings["portal.cap.cancel_days"]))}


def unit_names(request, unit) -> dict:
    return {"zh-CN": unit.name("zh_CN"), "en-US": unit.name("en")}


def _entry(request, notice, current=None):
    """An Atom entry; `current` (a CAP message) for the CAP index, which links the message itself."""
    closed = current.cancel if current is not None else feeds.is_closed(notice)
    if not closed:
        title = notice.title
    elif notice.kind == "missing_person":
        title = request.localizer.translate(CLOSED_TITLE)
    else:
        title = request.localizer.translate(ENDED_TITLE)
    entry = {
        "id": f"tag:{public_host(request)},2026:notice-{notice.id}",
        "title": title,
        "url": public_url(request, "notice", id=notice.id),
        "updated": current.sent if current is not None else notice.updated_at,
        "published": notice.published_at,
        "author": notice.unit.name(request.locale_name),
        "category": notice.kind,
        "summary": None if closed else notice.body.split("\n\n")[0][:500],
    }
    if current is not None:
        entry["links"] = [{"rel": "related", "href": public_url(request, "notice_cap", id=notice.id),
                           "type": CAP_TYPE}]
    elif not closed:
        entry["links"] = [_enclosure(request, media) for media in notice.media]
    return entry


def _enclosure(request, media) -> dict:
    """A photo's public copy as an Atom enclosure link (RFC 4287 4.2.7.2), main photo first."""
    link = {"rel": "enclosure", "href": public_url(request, "media", id=media.id, variant="public"),
            "type": PHOTO_TYPE}
    facts = photos.public_copy_facts(request.registry["media_store"], media)
    if facts is not None:
        link["length"] = str(facts[0])
    if media.alt_text:
        link["title"] = media.alt_text
    return link


def cap_resources(request, notice) -> list[dict]:
    """The notice's photos as CAP <resource>s: alt text, type, size and SHA-1 of the public copy."""
    resources = []
    for media in notice.media:
        facts = photos.public_copy_facts(request.registry["media_store"], media)
        resources.append({"description": media.alt_text or notice.title[:160], "mime_type": PHOTO_TYPE,
                          "size": facts[0] if facts else None, "digest": facts[1] if facts else None,
                          "uri": public_url(request, "media", id=media.id, variant="public")})
    return resources


@view_config(route_name="feed_atom", request_method="GET")
def atom(request):
    shared(request, LIST)
    rows = feeds.feed_notices(request.dbsession)
    body = feeds.atom_feed(
        feed_id=f"tag:{public_host(request)},2026:notices", title=request.localizer.translate(FEED_TITLE),
        self_url=public_url(request, "feed_atom"), site_url=public_url(request, "notices"),
        entries=[_entry(request, n) for n in rows], updated=rows[0].updated_at if rows else utcnow())
    return _xml(body, ATOM_TYPE)


@view_config(route_name="feed_cap", request_method="GET")
def cap_index(request):
    shared(request, LIST)
    now, periods = utcnow(), cap_periods(request)
    messages = [(n, cap.message(n, now, **periods)) for n in feeds.cap_notices(request.dbsession, now,
                                                                                 periods["cancel_for"])]
    entries = [_entry(request, n, current) for n, current in messages if current is not None]
    body = feeds.atom_feed(
        feed_id=f"tag:{public_host(request)},2026:notices-cap",
        title=request.localizer.translate(FEED_TITLE) + " (CAP)",
        self_url=public_url(request, "feed_cap"), site_url=public_url(request, "notices"),
        entries=entries, updated=max((e["updated"] for e in entries), default=now))
    return _xml(body, ATOM_TYPE)


@view_config(route_name="notice_cap", request_method="GET")
def notice_cap(context, request):
    """The notice's current CAP message. A Cancel stays here after it leaves the feed: consumers
    that follow a link learn the alert is over, and it carries nothing of the notice."""
    notice = context.notice
    shared(request, *notice_tags(notice))
    current = cap.message(notice, utcnow(), **cap_periods(request))
    if current is None:
        raise HTTPNotFound()
    body = cap.alert(notice, current, sender=cap_sender(request), web=public_url(request, "notice", id=notice.id),
                     unit_names=unit_names(request, notice.unit),
                     resources=() if current.cancel else cap_resources(request, notice))
    return _xml(body, CAP_TYPE)
