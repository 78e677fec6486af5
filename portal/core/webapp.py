"""The web app manifest (`/manifest.webmanifest`): the name, icons, start page and colours a phone
uses when the portal is added to its home screen, in the reader's language. The same for every
anonymous visitor of a language, so the caching proxy may keep it."""
import json

from pyramid.response import Response
from pyramid.view import view_config

from portal.core.caching import shared
from portal.core.i18n import LANGUAGES, _

THEME_COLOUR = "#0b3d91"  # the shield's blue (static/img/icon.svg)
BACKGROUND_COLOUR = "#ffffff"
ICONS = (("img/icon.svg", "image/svg+xml", "any", "any"),
         ("img/icon-192.png", "image/png", "192x192", "any"),
         ("img/icon-512.png", "image/png", "512x512", "maskable"))
DESCRIPTION = _("Verified notices from the police: missing persons, wanted suspects, lost and found, case "
                "appeals, wanted vehicles and reward tasks.")


def manifest(request) -> dict:
    translate = request.localizer.translate
    language = LANGUAGES.get(request.locale_name, LANGUAGES["zh_CN"])
    return {
        "name": translate(_("Safety Portal")),
        "short_name": translate(_("Safety Portal")),
        "description": translate(DESCRIPTION),
        "lang": language["html"],
        "dir": language["dir"],
        "start_url": request.route_path("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [{"src": request.static_path(f"portal:static/{path}"), "type": kind, "sizes": sizes,
                   "purpose": purpose} for path, kind, sizes, purpose in ICONS],
    }


@view_config(route_name="web_manifest", request_method="GET")
def web_manifest(request):
    shared(request)
    body = json.dumps(manifest(request), ensure_ascii=False).encode()
    return Response(body=body, content_type="application/manifest+json", charset="utf-8")


def includeme(config):
    config.add_route("web_manifest", "/manifest.webmanifest")
    config.scan(".webapp")
