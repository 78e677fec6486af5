"""A reporter's name and phone leave the system in exactly one place: the audited reveal to the
handler assigned to the tip. The tip is sent through the real form, handled, revealed, answered and
broken on purpose; the application log (every logger at DEBUG), the error pages, the exports, the API,
the feeds, /status and the database are searched for the contact afterwards."""
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pyotp
import pytest
from sqlalchemy import select, text

from portal.core.localtime import LOCAL_TZ
from portal.core.meta import Base
from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.tips.models import Tip
from tests.factories import make_officer, solve_pow
from tests.functional.helpers import login

NAME, NAME_LATIN = "诸葛巧云", "Zhuge Qiaoyun-Privacy"
PHONE_TYPED, PHONE_DIGITS = "139 0471 5826", "13904715826"
REVEAL_REASON = "Need to ask the reporter where the crates are stored."
NEEDLES = [NAME, NAME_LATIN, PHONE_TYPED, PHONE_DIGITS, "0471 5826", "04715826",
           json.dumps(NAME)[1:-1],  # as JSON with ASCII escapes
           quote(NAME), quote(NAME_LATIN), quote(PHONE_TYPED), PHONE_TYPED.replace(" ", "+")]  # as URL or form data
LOGGERS = ("", "portal", "pyramid", "waitress", "sqlalchemy", "sqlalchemy.engine", "txn", "webtest")


def leaks(text_) -> list[str]:
    return [needle for needle in NEEDLES if needle in text_]


class Outputs:
    """Every answer the test got, by a label, to be searched at the end."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def add(self, label, response):
        body = response.body.decode("utf-8", "replace") if response.body else ""
        headers = "\n".join(f"{k}: {v}" for k, v in response.headerlist)
        self.seen[label] = f"{response.status}\n{headers}\n\n{body}"
        return response


@pytest.fixture
def debug_log(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


def log_text(caplog) -> str:
    """Everything the log records carry: messages, arguments, tracebacks and extra attributes."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.__dict__))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def tip_form(testapp, address=None):
    page = testapp.get("/tips/new?category=other", extra_environ={"REMOTE_ADDR": address} if address else {})
    return page.forms[[k for k, f in page.forms.items() if "pow_challenge" in f.fields][0]]


def fill(form, units, **changes):
    values = {
        "description": "Crates of fireworks are stored in the basement of building 3, Dongfeng Road.",
        "happened_at": (datetime.now(UTC) - timedelta(hours=5)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
        "place": "Building 3, Dongfeng Road", "unit": str(units["county_a"].id),
        "name": f"{NAME} {NAME_LATIN}", "phone": PHONE_TYPED,
    }
    values.update(changes)
    for key, value in values.items():
        form[key] = value
    form["pow_nonce"] = solve_pow(form["pow_challenge"].value)
    return form


def staff_form(page, form_id):
    return page.forms[form_id]


def test_the_reporters_contact_leaves_the_system_only_through_the_audited_reveal(
        debug_log, testapp, dbsession, registry, units, monkeypatch):
    # debug_log comes first: the test's database connection then logs every statement and its parameters.
    out = Outputs()
    moderator = make_officer(dbsession, units["city_a"], ["moderator"], username="priv_moderator")
    handler = make_officer(dbsession, units["city_a"], ["handler"], username="priv_handler")
    other_handler = make_officer(dbsession, units["city_a"], ["handler"], username="priv_other_handler")
    admin_secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin"], username="priv_admin", totp_secret=admin_secret,
                 cipher=registry["field_cipher"])

    # 1. The reporter sends the tip through the real form, with a contact.
    receipt_page = out.add("receipt", fill(tip_form(testapp), units).submit("send", status=200))
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", receipt_page.text).group(0)
    tip = dbsession.get(Tip, dbsession.execute(
        select(Receipt.subject_id).where(Receipt.subject_type == "tip").order_by(Receipt.id.desc())).scalars().first())
    assert tip.contact is not None and not leaks(tip.contact)  # sealed at rest

    # 2. Refusals and failures while a contact is in the request.
    out.add("unknown category", testapp.post("/tips/new?category=no-such-category",
                                             {"name": NAME, "phone": PHONE_TYPED}, status=404))
    forged = fill(tip_form(testapp), units)
    forged["csrf_token"] = "forged"
    # The reporter's own form comes back filled in for them (that is the point); the log stays clean.
    assert NAME in forged.submit("send", status=400).text
    replayed = fill(tip_form(testapp), units)
    replayed.submit("send", status=200)
    assert replayed.submit("send", status=400)  # a replayed proof of work, logged nowhere with the contact

    def broken_issue(*args, **kw):  # a failure deep down whose message happens to carry the contact
        raise RuntimeError(f"cannot store tip for {NAME} {PHONE_TYPED}")

    with monkeypatch.context() as patch:
        patch.setattr(receipts, "issue", broken_issue)
        out.add("500 on submit", fill(tip_form(testapp), units).submit("send", status=500))
    out.add("404", testapp.get(f"/staff/tips/{tip.id + 100000}?name={quote(NAME)}", status="*"))
    out.add("400 status", testapp.post("/status", {"code": "1111 2222 3333 4444", "name": NAME, "phone": PHONE_TYPED,
                                                   "csrf_token": testapp.get("/status").forms[0]["csrf_token"].value},
                                       status="*"))
    # No CSRF token: refused (what the reporter typed comes back to them, nothing else of the tip).
    out.add("400 reply without csrf", testapp.post("/status/reply", {"code": code, "message": "One more detail.",
                                                                     "name": NAME, "phone": PHONE_TYPED}, status=400))

    # 3. Handling: the moderator sees no contact, triages and assigns to the handler.
    login(testapp, moderator.username)
    out.add("queue", testapp.get("/staff/tips"))
    page = out.add("moderator tip", testapp.get(f"/staff/tips/{tip.id}"))
    page = staff_form(page, "step-triage").submit(status=303).follow()
    out.add("moderator tip triaged", page)
    form = staff_form(page, "step-assign")
    form["handler"] = str(handler.id)
    out.add("moderator tip assigned", form.submit(status=303).follow())
    refused = testapp.post(f"/staff/tips/{tip.id}", {"action": "reveal", "reason": REVEAL_REASON,
                                                     "csrf_token": page.forms["step-assign"]["csrf_token"].value},
                           status="*")
    assert refused.status_int in (400, 403)
    out.add("moderator reveal refused", refused)
    testapp.get("/logout", status="*")
    testapp.reset()

    # 4. Another handler of the unit sees no contact and cannot reveal it.
    login(testapp, other_handler.username)
    page = out.add("other handler tip", testapp.get(f"/staff/tips/{tip.id}"))
    assert not page.html.select("form.reveal")  # no "show contact" form for them
    refused = testapp.post(f"/staff/tips/{tip.id}", {"action": "reveal", "reason": REVEAL_REASON, "csrf_token":
                                                     page.html.select_one('input[name="csrf_token"]')["value"]},
                           status=403)
    assert "Only the handler assigned to this tip" in out.add("other handler reveal", refused).text
    testapp.reset()

    # 5. The assigned handler reveals it with a reason: the one place it shows.
    login(testapp, handler.username)
    page = out.add("handler tip before reveal", testapp.get(f"/staff/tips/{tip.id}"))
    reveal = page.forms[[k for k, f in page.forms.items() if f.fields.get("action", [None])[0] is not None
                         and f["action"].value == "reveal"][0]]
    reveal["reason"] = REVEAL_REASON
    revealed = reveal.submit(status=200)
    assert NAME in revealed.text and PHONE_TYPED.replace(" ", "") in revealed.text.replace(" ", "")
    assert revealed.headers.get("Cache-Control", "").find("no-store") >= 0 or "private" in revealed.headers.get(
        "Cache-Control", "")
    out.add("handler tip after reveal", testapp.get(f"/staff/tips/{tip.id}"))  # not kept in the page
    message = page.forms["message"]
    message["body"] = "Thank you. Which entrance do the vans use?"
    out.add("handler message", message.submit(status=303).follow())
    out.add("bad staff post", testapp.post(f"/staff/tips/{tip.id}", {"action": "reveal", "reason": NAME},
                                           status=400))  # a forged CSRF token on the staff side
    testapp.reset()

    # 6. The reporter sees that the contact was viewed (not the contact) and answers.
    status_form = testapp.get("/status").forms[0]
    status_form["code"] = code
    status = out.add("status", status_form.submit("show", status=200))
    assert "viewed" in status.text
    reply = status.forms["tip-reply"]
    reply["message"] = "The side entrance on Xinhua Street."
    out.add("status reply", reply.submit("reply", status=200))

    # 7. The admin sees that a reveal happened, never the contact; exports and statistics.
    login(testapp, "priv_admin", totp_secret=admin_secret)
    out.add("admin tip", testapp.get(f"/staff/tips/{tip.id}", status="*"))
    audit = out.add("audit", testapp.get("/staff/audit"))
    assert "reveal" in audit.text.lower()
    for path in ("/staff/audit?object_type=tip", f"/staff/audit?object_id={tip.id}&action=protected",
                 "/staff/stats"):
        out.add(path, testapp.get(path))
    export = out.add("stats.csv", testapp.get("/staff/stats.csv"))
    assert export.content_type == "text/csv"
    total = next(row for row in export.text.splitlines() if row.startswith("total,"))
    assert int(total.rsplit(",", 1)[1]) >= 1  # the export covers the tips sent above
    testapp.reset()

    # 8. Everything public: pages, the API, the feeds.
    for path in ("/", "/notices", "/api/v1/notices", "/api/openapi.json", "/feeds/notices.atom",
                 "/feeds/notices.cap.atom", "/tips/new", "/status"):
        out.add(path, testapp.get(path, status="*"))

    # Nothing anywhere but the reveal itself.
    for label, seen in out.seen.items():
        assert not leaks(seen), f"the contact is in {label!r}: {leaks(seen)}"
    logged = log_text(debug_log)
    assert "unhandled RuntimeError" in logged  # the failure was logged (its message was not)
    assert "sqlalchemy.engine" in logged  # the SQL log was captured too, so its absence below means something
    assert not leaks(logged), f"the contact is in the log: {leaks(logged)}"
    # At rest: only sealed, in every table (the audit events name the reveal, not what was seen).
    for table in Base.metadata.sorted_tables:
        rows = dbsession.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608 (our own table names)
        assert not leaks(repr(rows)), f"the contact is stored readable in {table.name}"
