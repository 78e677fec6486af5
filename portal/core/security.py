"""Sessions and CSRF. Identity and authorization come from accounts/ (its security policy)."""
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import JSONSerializer, SignedCookieSessionFactory
from pyramid.settings import asbool


def includeme(config):
    settings = config.get_settings()
    secret = settings["portal.session_secret"]
    factory = SignedCookieSessionFactory(
        secret,
        cookie_name="portal_session",
        secure=asbool(settings.get("portal.session_secure", False)),
        httponly=True,
        samesite="Lax",
        max_age=None,  # a browser session; the staff side also times out below
        timeout=int(settings.get("portal.session_timeout", 8 * 3600)),
        reissue_time=300,
        serializer=JSONSerializer(),
    )
    config.set_session_factory(factory)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every unsafe method needs the token, on every form, public or staff.
    config.set_default_csrf_options(require_csrf=True)
