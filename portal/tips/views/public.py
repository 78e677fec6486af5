"""/tips/new: the reporter picks a category, fills in its form and gets a receipt code once;
/tips/route names the unit a point goes to, for the form's script.

Whatever is refused (an expired form, the proof of work, a rate limit, a field, a file, a cut-off
upload, a storage error) stores nothing and comes back as the form, filled in, with a clear message
and a 4xx status; the files must be chosen again (browsers never refill file inputs)."""
from pyramid.csrf import check_csrf_token
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse import pow as pow_service
from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.json import json_error, json_response
from portal.core.refused import Refused
from portal.geo import routing
from portal.geo.position import read_position
from portal.phones import services as phones
from portal.phones.forms import PhoneCodeStep
from portal.privacy.receipts import format_code
from portal.tips import submission as tips
from portal.tips import upload_stream
from portal.tips.forms import AttachmentRules, danger_chosen, tip_schema

CHOOSE = "tips/choose.html"
FORM = "tips/new.html"
RECEIPT = "tips/receipt.html"
EXPIRED = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept below: "
            "please choose the files again, if any, and send it again.")


def _choose(request, status=200, error=None):
    """The category choice; a task notice in the query is passed on to the category's form."""
    request.response.status_int = status
    task = tips.reward_task(request.dbsession, request.GET.get("task"))
    return render_to_response(CHOOSE, {"categories": tips.offered_categories(request.dbsession), "task": task,
                                       "text_in": tips.text_in, "error": error},
                              request=request, response=request.response)


def _pow_value(request) -> str:
    # What abuse/forms.py PowWidget.deserialize makes of the two hidden fields.
    return f"{request.POST.get('pow_challenge') or ''}:{request.POST.get('pow_nonce') or ''}"


@view_config(route_name="tips_new", renderer=FORM, request_method=("GET", "HEAD", "POST"), require_csrf=False)
class NewTip(PhoneCodeStep, FormView):
    """The category's form. Refused before its fields are read: a body cut off while streaming in, an
    expired form, a proof of work not solved, too many tips from one address."""

    buttons = (("send", _("Send the tip")),)
    # No autofocus: people first read the category and the danger advice at the top.
    form_options = {"focus": "off"}

    def __call__(self):
        request = self.request
        slug = request.GET.get("category")
        if not slug:
            return _choose(request)
        self.category = tips.category_by_slug(request.dbsession, slug)
        if self.category is None:
            return _choose(request, 404, _("This category does not exist (any more). Please choose one below."))
        self.task = tips.reward_task(request.dbsession, request.GET.get("task"))
        return super().__call__()

    def schema(self):
        return tip_schema(self.request, self.category)

    def page(self, **values):
        request = self.request
        return {"category": self.category, "task": self.task, "error": None, "failed": self.failed,
                "text_in": tips.text_in, "danger": self.category.danger or danger_chosen(self.category, request.POST),
                "rules": AttachmentRules.from_settings(request.registry.settings), **values}

    def before(self, form):
        request = self.request
        refusal = upload_stream.refusal(request)
        if refusal is not None:  # cut off while streaming in: what arrived before the file is kept
            raise refusal
        # Checked here, not by the view deriver, so an expired form comes back filled in (with a fresh token).
        if not check_csrf_token(request, raises=False):
            raise Refused(EXPIRED, 400)
        try:
            solved = pow_service.verify(request, _pow_value(request))
        except pow_service.PowRefused:
            # A refused proof still costs an attempt: floods of forged answers are limited too.
            self._count(solved_pow=True)
            raise
        self._count(solved_pow=solved)

    def _count(self, *, solved_pow):
        try:
            tips.count_attempt(self.request, solved_pow=solved_pow)
        except RateLimited as limited:
            fallback = self.request.registry["fallbacks"]
            raise limited.saying(_(
                "Many tips have been sent from this address. Nothing was sent. Please wait ${minutes} minutes and "
                "send it again. If it is urgent, call ${police} now, or send an SMS to ${sms}.",
                mapping={"minutes": minutes(limited.retry_after), "police": fallback.police,
                         "sms": fallback.sms_number()})) from None

    def send_success(self, data):
        request = self.request
        data["task"] = self.task
        try:
            tip, code = tips.submit(request, self.category, data, data["attachments"])
            phones.consume(request, request.proven_phone)
        except Refused as refused:  # a file, a storage error, or the units changed meanwhile
            raise Refused(refused.message, tips.refusal_status(refused)) from None
        request.response.cache_control = "no-store"  # the receipt code is shown once, to this reporter
        return render_to_response(RECEIPT, {"code": format_code(code), "tip": tip, "category": self.category,
                                            "text_in": tips.text_in}, request=request, response=request.response)


@view_config(route_name="tip_route", request_method="GET")
def tip_route(request):
    """The unit a tip from this point goes to when the reporter leaves the unit on automatic."""
    try:
        position = read_position(request.GET.get("lat"), request.GET.get("lon"), required=True)
    except Refused as refused:
        return json_error(request, refused.status, refused.message)
    unit = routing.unit_for_point(request.dbsession, position.lat, position.lon)
    if unit is None:
        return json_error(request, 404, tips.OUTSIDE)
    return json_response({"id": unit.id, "unit": unit.name(request.locale_name)})
