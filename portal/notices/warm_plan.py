"""What `portal-warm-proxy` asks a freshly started caching proxy for, most important first (issue 14,
the cold proxy): an empty Varnish sends every request to an app server, so the answers people need
first are put into it first. The order:

1. the home page, the notice list's first page and its first page per kind (missing persons first),
   the API's first list page;
2. every open missing-person appeal, newest first, each followed by its photos' public copies;
3. every other open notice, newest first;
4. the API answers of the same notices, in the same order;
5. the feeds, the sitemap, the API document and robots.txt.

Only public answers the proxy keeps (deploy/varnish's list of public paths), built here from ids:
nothing is found by following links, so no staff page and nothing with a session is ever asked for.
Answers that Vary on the language are asked for once per language the proxy keys on (the VCL rewrites
every browser's Accept-Language, a missing one and the lang cookie to one of these: the portal's answers
to them are the same byte for byte, tests/functional/test_language_copies.py); the others once."""
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select

from portal.core.meta import utcnow
from portal.media.models import Media
from portal.notices.models import NOTICE_KINDS, Notice
from portal.notices.reading import not_expired

# What the VCL's portal_language turns a browser's Accept-Language (or none, or its lang cookie) into,
# the portal's default (portal.default_locale) first.
LANGUAGES = ("zh-CN", "en", "ug")
MISSING = "missing_person"


@dataclass(frozen=True)
class Target:
    path: str
    by_language: bool = True  # the answer Varies on Accept-Language: one copy per language


def notice_list(kind: str | None = None) -> str:
    # As the list's and the home page's links write it (route_path with _query): the same cached copy.
    return "/notices" + (f"?{urlencode({'kind': kind})}" if kind else "")


def head() -> list[Target]:
    kinds = sorted(NOTICE_KINDS, key=lambda kind: kind != MISSING)  # missing persons first, else as declared
    return [Target("/"), Target(notice_list()), *(Target(notice_list(kind)) for kind in kinds),
            Target("/api/v1/notices")]


def tail() -> list[Target]:
    return [Target("/feeds/notices.atom"), Target("/feeds/notices.cap.atom"),
            Target("/sitemap.xml", by_language=False), Target("/api/openapi.json", by_language=False),
            Target("/robots.txt", by_language=False)]


def plan(notices: Iterable[tuple[int, str]], photos: dict[int, list[int]] | None = None) -> list[Target]:
    """The answers to warm, in order. `notices`: (id, kind) of the open notices, newest first;
    `photos`: notice id -> ids of its photos with public copies, in page order."""
    photos = photos or {}
    notices = list(notices)
    ordered = [n for n in notices if n[1] == MISSING] + [n for n in notices if n[1] != MISSING]
    pages = []
    for notice_id, kind in ordered:
        pages.append(Target(f"/notices/{notice_id}"))
        if kind == MISSING:  # the appeal's face is what a reader needs; a photo is the same in every language
            pages.extend(Target(f"/media/{media_id}/public", by_language=False)
                         for media_id in photos.get(notice_id, ()))
    api = [Target(f"/api/v1/notices/{notice_id}") for notice_id, _kind in ordered]
    return head() + pages + api + tail()


def requests(targets: Iterable[Target], languages: Iterable[str] = LANGUAGES) -> list[tuple[str, str | None]]:
    """(path, Accept-Language or None) for each answer to ask for: every language of one answer
    before the next answer, so the most important answers are complete first."""
    languages = tuple(languages)
    return [(target.path, language) for target in targets
            for language in (languages if target.by_language and languages else (None,))]


def open_notices(dbsession, now=None) -> list[tuple[int, str]]:
    """(id, kind) of every notice in force, newest first (as the list orders them)."""
    query = (select(Notice.id, Notice.kind).where(Notice.state == "published", not_expired(now or utcnow()))
             .order_by(Notice.published_at.desc(), Notice.id.desc()))
    return [(notice_id, kind) for notice_id, kind in dbsession.execute(query)]


def appeal_photos(dbsession, now=None) -> dict[int, list[int]]:
    """Open missing-person appeals' photos that have a public copy, in the order their page shows them."""
    query = (select(Media.notice_id, Media.id).join(Notice, Media.notice_id == Notice.id)
             .where(Notice.state == "published", Notice.kind == MISSING, not_expired(now or utcnow()),
                    Media.public_key.is_not(None))
             .order_by(Media.notice_id, Media.position, Media.id))
    photos: dict[int, list[int]] = {}
    for notice_id, media_id in dbsession.execute(query):
        photos.setdefault(notice_id, []).append(media_id)
    return photos


def from_database(dbsession, now=None) -> list[Target]:
    return plan(open_notices(dbsession, now), appeal_photos(dbsession, now))
