"""Sign-in, second factor, enrolment and sign-out."""
import time

from pyramid.httpexceptions import HTTPSeeOther, HTTPTooManyRequests
from pyramid.security import forget, remember
from pyramid.view import view_config
from sqlalchemy import select

from portal.abuse.ratelimit import RateLimited
from portal.accounts import signin, throttle, totp
from portal.accounts.forms import CodeSchema, LoginSchema
from portal.accounts.models import Officer
from portal.accounts.signin import Outcome
from portal.audit import chain as audit
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.refused import Refused

PENDING_SECONDS = 300
MAX_NEXT_CHARS = 512  # kept in the session cookie until sign-in ends; a longer one is not a page of ours


def safe_next(request) -> str:
    """Only same-site paths: never an open redirect."""
    target = request.params.get("next") or request.session.get("pending_next") or ""
    # A path of this site, printable ASCII only: no other host, no header-breaking control character.
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isascii() and target.isprintable() and len(target) <= MAX_NEXT_CHARS):
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


@view_config(route_name="login", renderer="auth/login.html")
class SignIn(FormView):
    """Username and password; then the second factor (or its set-up) where the role needs it. The
    username is kept when sign-in fails, the password never is."""

    schema_factory = LoginSchema
    buttons = (("submit", _("Sign in")),)
    doom_on_refusal = False  # a failed attempt's audit event is kept

    def __call__(self):
        if self.request.method != "POST" and self.request.identity is not None:
            return HTTPSeeOther(safe_next(self.request))
        return super().__call__()

    def page(self, **values):
        return {"error": None, "heading": _("Staff sign-in"), **values}

    def before(self, form):
        _rate_limit(self.request, "login")
        throttle.check_address(self.request)

    def refused(self, form, refused):
        if not isinstance(refused, RateLimited):
            return super().refused(form, refused)
        # An empty form: the same page whatever username was typed, so it tells nobody which exist.
        self.failed = True
        self.request.response.status_int = refused.status
        self.request.response.headers["Retry-After"] = str(refused.retry_after)
        return self.page(form=self.form().render(), error=refused.message)

    def submit_success(self, data):
        request = self.request
        result = signin.check_password(request, data["username"], data["password"])
        if result.outcome is Outcome.SIGNED_IN:
            return _finish(request, result.officer)
        if result.outcome is Outcome.NEEDS_TOTP:
            _set_pending(request, "pending_totp", result.officer)
            return HTTPSeeOther(request.route_path("login_totp"))
        if result.outcome is Outcome.NEEDS_ENROLMENT:
            _set_pending(request, "pending_enrol", result.officer, secret=totp.new_secret())
            return HTTPSeeOther(request.route_path("login_enrol"))
        raise Refused(_("Wrong username or password."), 400)


@view_config(route_name="login_totp", renderer="auth/login.html")
class SecondFactor(FormView):
    """The one-time code of an officer whose password was right a few minutes ago."""

    schema_factory = CodeSchema
    buttons = (("submit", _("Confirm")),)
    doom_on_refusal = False  # a wrong code's audit event is kept

    def __call__(self):
        self.officer = _pending(self.request, "pending_totp")
        if self.officer is None:
            return HTTPSeeOther(self.request.route_path("login"))
        return super().__call__()

    def page(self, **values):
        return {"error": None, "heading": _("Enter your one-time code"), **values}

    def before(self, form):
        _rate_limit(self.request, "totp")
        throttle.check_address(self.request)

    def submit_success(self, data):
        request = self.request
        result = signin.check_totp(request, self.officer, data["code"])
        if result.outcome is Outcome.SIGNED_IN:
            return _finish(request, self.officer)
        raise Refused(_("That code is not right. Codes change every 30 seconds; use the newest."), 400)


class Enrolment(FormView):
    """Setting up the second factor: the QR code and key of a secret kept in the session until the
    officer sends a code their app made from it. A subclass says whose it is (`officer`, `secret`
    set in `__call__`) and what follows (`enrolled()`)."""

    schema_factory = CodeSchema
    buttons = (("submit", _("Turn on two-step sign-in")),)
    officer = secret = None

    def page(self, **values):
        uri = totp.provisioning_uri(self.secret, self.officer.username)
        return {"error": None, "heading": _("Set up two-step sign-in"),
                "enrol": {"qr": totp.qr_svg_data_uri(uri), "secret": self.secret}, **values}

    def before(self, form):
        _rate_limit(self.request, "totp")

    def submit_success(self, data):
        if not signin.enrol_totp(self.request, self.officer, self.secret, data["code"]):
            raise Refused(_("That code is not right. Check the time on your phone and try again."), 400)
        return self.enrolled()

    def enrolled(self):
        raise NotImplementedError


@view_config(route_name="login_enrol", renderer="auth/login.html")
class LoginEnrolment(Enrolment):
    """Officers whose role requires a second factor set it up before their first sign-in ends."""

    def __call__(self):
        self.officer = _pending(self.request, "pending_enrol")
        if self.officer is None:
            return HTTPSeeOther(self.request.route_path("login"))
        self.secret = self.request.session["pending_enrol"]["secret"]
        return super().__call__()

    def enrolled(self):
        signin.complete(self.request, self.officer)
        return _finish(self.request, self.officer)


@view_config(route_name="logout", renderer="auth/logout.html", request_method="GET")
def logout_form(request):
    return {}


@view_config(route_name="logout", request_method="POST")
def logout(request):
    officer = request.identity
    if officer is not None:
        officer.end_all_sessions()  # this session and every other one, also a copy of the cookie
        audit.record(request, "signout", object_type="officer", object_id=officer.id)
    return HTTPSeeOther(request.route_path("login"), headers=forget(request))
