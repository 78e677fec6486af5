"""Sign-in, second factor, enrolment and sign-out."""
import time

import deform
from pyramid.httpexceptions import HTTPSeeOther, HTTPTooManyRequests
from pyramid.security import forget, remember
from pyramid.view import view_config
from sqlalchemy import select

from portal.accounts import signin, totp
from portal.accounts.forms import CodeSchema, LoginSchema
from portal.accounts.models import Officer
from portal.accounts.signin import Outcome
from portal.audit import chain as audit
from portal.core.forms import make_form
from portal.core.i18n import _

PENDING_SECONDS = 300


def safe_next(request) -> str:
    """Only same-site paths: never an open redirect."""
    target = request.params.get("next") or request.session.get("pending_next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return request.route_path("staff")


def _rate_limit(request, kind: str):
    per_minute = int(request.registry.settings["portal.login.rate_per_minute"])
    key = f"{kind}:{request.client_addr}"
    if not request.rate_limiter.hit(key, per_minute, 60):
        raise HTTPTooManyRequests(
            _("Too many sign-in attempts from this address. Wait a minute and try again."),
            headers={"Retry-After": str(request.rate_limiter.retry_after(key, 60))},
        )


def _finish(request, officer):
    target = safe_next(request)
    headers = remember(request, officer)
    return HTTPSeeOther(target, headers=headers)


def _pending(request, key):
    data = request.session.get(key)
    if not data or time.time() - data["at"] > PENDING_SECONDS:
        return None
    return request.dbsession.execute(
        select(Officer).where(Officer.id == data["officer"], Officer.active.is_(True))
    ).scalar_one_or_none()


def _set_pending(request, key, officer, **extra):
    request.session.invalidate()
    request.session[key] = {"officer": officer.id, "at": time.time(), **extra}
    request.session["pending_next"] = safe_next(request)


def _page(request, form, *, error=None, status=200, heading=_("Staff sign-in"), **extra):
    request.response.status_int = status
    return {"form": form.render() if isinstance(form, deform.Form) else form, "error": error,
            "heading": heading, **extra}


@view_config(route_name="login", renderer="auth/login.html", request_method="GET")
def login_form(request):
    if request.identity is not None:
        return HTTPSeeOther(safe_next(request))
    return _page(request, make_form(request, LoginSchema(), buttons=(deform.Button("submit", _("Sign in")),)))


@view_config(route_name="login", renderer="auth/login.html", request_method="POST")
def login_submit(request):
    _rate_limit(request, "login")
    form = make_form(request, LoginSchema(), buttons=(deform.Button("submit", _("Sign in")),))
    try:
        data = form.validate(request.POST.items())
    except deform.ValidationFailure as failure:
        return _page(request, failure.render(), status=400)
    result = signin.check_password(request, data["username"], data["password"])
    if result.outcome is Outcome.SIGNED_IN:
        return _finish(request, result.officer)
    if result.outcome is Outcome.NEEDS_TOTP:
        _set_pending(request, "pending_totp", result.officer)
        return HTTPSeeOther(request.route_path("login_totp"))
    if result.outcome is Outcome.NEEDS_ENROLMENT:
        _set_pending(request, "pending_enrol", result.officer, secret=totp.new_secret())
        return HTTPSeeOther(request.route_path("login_enrol"))
    # Keep the username, never the password.
    form_html = form.render({"username": data["username"]})
    if result.outcome is Outcome.LOCKED:
        request.response.headers["Retry-After"] = str(result.locked_minutes * 60)
        return _page(request, form_html, status=429, error=_(
            "This account is locked after too many failed attempts. Try again in ${m} minutes "
            "or ask an administrator to unlock it.", mapping={"m": result.locked_minutes}))
    return _page(request, form_html, status=400, error=_("Wrong username or password."))


def _code_form(request, label):
    return make_form(request, CodeSchema(), buttons=(deform.Button("submit", label),))


@view_config(route_name="login_totp", renderer="auth/login.html")
def login_totp(request):
    officer = _pending(request, "pending_totp")
    if officer is None:
        return HTTPSeeOther(request.route_path("login"))
    form = _code_form(request, _("Confirm"))
    heading = _("Enter your one-time code")
    if request.method != "POST":
        return _page(request, form, heading=heading)
    _rate_limit(request, "totp")
    try:
        data = form.validate(request.POST.items())
    except deform.ValidationFailure as failure:
        return _page(request, failure.render(), status=400, heading=heading)
    result = signin.check_totp(request, officer, data["code"])
    if result.outcome is Outcome.SIGNED_IN:
        return _finish(request, officer)
    if result.outcome is Outcome.LOCKED:
        request.session.invalidate()
        request.response.headers["Retry-After"] = str(result.locked_minutes * 60)
        return _page(request, "", status=429, heading=heading, error=_(
            "This account is locked after too many failed attempts. Try again in ${m} minutes "
            "or ask an administrator to unlock it.", mapping={"m": result.locked_minutes}))
    return _page(request, form, status=400, heading=heading,
                 error=_("That code is not right. Codes change every 30 seconds; use the newest."))


def enrolment_page(request, officer, secret, *, status=200, error=None, form=None):
    uri = totp.provisioning_uri(secret, officer.username)
    return _page(
        request,
        form or _code_form(request, _("Turn on two-step sign-in")),
        status=status,
        error=error,
        heading=_("Set up two-step sign-in"),
        enrol={"qr": totp.qr_svg_data_uri(uri), "secret": secret},
    )


def submit_enrolment(request, officer, secret):
    """Check the posted code; return the page to show again, or None once the factor is on."""
    _rate_limit(request, "totp")
    form = _code_form(request, _("Turn on two-step sign-in"))
    try:
        data = form.validate(request.POST.items())
    except deform.ValidationFailure as failure:
        return enrolment_page(request, officer, secret, status=400, form=failure.render())
    if not signin.enrol_totp(request, officer, secret, data["code"]):
        return enrolment_page(request, officer, secret, status=400,
                              error=_("That code is not right. Check the time on your phone and try again."))
    return None


@view_config(route_name="login_enrol", renderer="auth/login.html")
def login_enrol(request):
    """Officers whose role requires a second factor set it up before their first sign-in ends."""
    officer = _pending(request, "pending_enrol")
    if officer is None:
        return HTTPSeeOther(request.route_path("login"))
    secret = request.session["pending_enrol"]["secret"]
    if request.method != "POST":
        return enrolment_page(request, officer, secret)
    page_again = submit_enrolment(request, officer, secret)
    if page_again is not None:
        return page_again
    signin.complete(request, officer)
    return _finish(request, officer)


@view_config(route_name="logout", renderer="auth/logout.html", request_method="GET")
def logout_form(request):
    return {}


@view_config(route_name="logout", request_method="POST")
def logout(request):
    if request.identity is not None:
        audit.record(request, "signout", object_type="officer", object_id=request.identity.id)
    return HTTPSeeOther(request.route_path("login"), headers=forget(request))
