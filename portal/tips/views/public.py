"""/tips/new: the reporter picks a category, fills in its form and gets a receipt code once;
/tips/route names the unit a point goes to, for the form's script.

Whatever is refused (an expired form, the proof of work, a rate limit, a field, a file, a cut-off
upload, a storage error) stores nothing and comes back as the form, filled in, with a clear message
and a 4xx status; the files must be chosen again (browsers never refill file inputs)."""
import deform
from pyramid.csrf import check_csrf_token
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse import pow as pow_service
from portal.abuse.ratelimit import RateLimited
from portal.core.forms import make_form, refilled, submitted
from portal.core.i18n import _
from portal.core.json import json_error, json_response
from portal.core.refused import Refused
from portal.geo import routing
from portal.media.uploads import UploadRefused
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


def _form(request, category):
    # No autofocus: people first read the category and the danger advice at the top.
    return make_form(request, tip_schema(request, category), buttons=(deform.Button("send", _("Send the tip")),),
                     focus="off")


def _page(request, category, task, form_html, *, error=None, failed=False):
    return {"category": category, "task": task, "form": form_html, "error": error, "failed": failed,
            "text_in": tips.text_in, "danger": category.danger or danger_chosen(category, request.POST),
            "rules": AttachmentRules.from_settings(request.registry.settings)}


def _refused(request, category, task, form, message, status=400):
    request.tm.doom()  # files may already be written: they go with the aborted transaction
    request.response.status_int = status
    return _page(request, category, task, refilled(request, form), error=message, failed=True)


def _too_many(request, category, task, form, retry_after):
    """429 with what was typed kept, so it can be sent later without typing it again."""
    request.response.headers["Retry-After"] = str(retry_after)
    fallback = request.registry["fallbacks"]
    return _refused(request, category, task, form, _(
        "Many tips have been sent from this address. Nothing was sent. Please wait ${minutes} minutes and send it "
        "again. If it is urgent, call ${police} now, or send an SMS to ${sms}.",
        mapping={"minutes": max(1, (retry_after + 59) // 60), "police": fallback.police,
                 "sms": fallback.sms_number()}), status=429)


def _pow_value(request) -> str:
    # What schemas/pow.py PowWidget.deserialize makes of the two hidden fields.
    return f"{request.POST.get('pow_challenge') or ''}:{request.POST.get('pow_nonce') or ''}"


@view_config(route_name="tips_new", renderer=FORM, request_method=("GET", "HEAD", "POST"), require_csrf=False)
def tips_new(request):
    slug = request.GET.get("category")
    if not slug:
        return _choose(request)
    category = tips.category_by_slug(request.dbsession, slug)
    if category is None:
        return _choose(request, 404, _("This category does not exist (any more). Please choose one below."))
    task = tips.reward_task(request.dbsession, request.GET.get("task"))
    form = _form(request, category)
    if request.method != "POST":
        return _page(request, category, task, form.render())
    return _send(request, category, task, form)


def _send(request, category, task, form):
    refusal = upload_stream.refusal(request)
    if refusal is not None:  # cut off while streaming in: what arrived before the file is kept
        if getattr(refusal, "retry_after", None):
            request.response.headers["Retry-After"] = str(refusal.retry_after)
        return _refused(request, category, task, form, refusal.message, tips.refusal_status(refusal))
    # Checked here, not by the view deriver, so an expired form comes back filled in (with a fresh token).
    if not check_csrf_token(request, raises=False):
        return _refused(request, category, task, form, EXPIRED)
    try:
        solved = pow_service.verify(request, _pow_value(request))
    except pow_service.PowRefused as exc:
        try:  # a refused proof still costs an attempt: floods of forged answers are limited too
            tips.count_attempt(request, solved_pow=True)
        except RateLimited as limited:
            return _too_many(request, category, task, form, limited.retry_after)
        return _refused(request, category, task, form, exc.message)
    try:
        tips.count_attempt(request, solved_pow=solved)
    except RateLimited as exc:
        return _too_many(request, category, task, form, exc.retry_after)
    data, invalid = submitted(request, form)
    if invalid:
        return _page(request, category, task, invalid, failed=True)
    data["task"] = task
    try:
        tip, code = tips.submit(request, category, data, data["attachments"])
    except (UploadRefused, Refused) as exc:  # a storage error, or the units changed meanwhile
        return _refused(request, category, task, form, exc.message, tips.refusal_status(exc))
    request.response.cache_control = "no-store"  # the receipt code is shown once, to this reporter
    return render_to_response(RECEIPT, {"code": format_code(code), "tip": tip, "category": category,
                                        "text_in": tips.text_in}, request=request, response=request.response)


@view_config(route_name="tip_route", request_method="GET")
def tip_route(request):
    """The unit a tip from this point goes to when the reporter leaves the unit on automatic."""
    try:
        lat, lon = float(request.GET.get("lat", "")), float(request.GET.get("lon", ""))
    except ValueError:
        return json_error(request, 400, _("Latitude and longitude are required."))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return json_error(request, 400, _("Latitude and longitude are required."))
    unit = routing.unit_for_point(request.dbsession, lat, lon)
    if unit is None:
        return json_error(request, 404, tips.OUTSIDE)
    return json_response({"id": unit.id, "unit": unit.name(request.locale_name)})
