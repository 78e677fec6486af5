"""The console's panel: the chosen alarm's detail beside the list (/staff/alarms?selected=ID, and the fragment
/staff/alarms/ID/panel the console's script fetches). Scoped and never cached like the alarm's own page; its
forms post return=console and come back to the console with the alarm still selected; the sender's contact
is shown there only with a reason, audited, exactly as on the full page."""
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from tests.functional import test_dispatcher_console as console_tests
from tests.functional.helpers import login
from tests.functional.test_dispatcher_console import PHONE, action_form, audit_actions, step_form, thread_texts

officers, alarm = console_tests.officers, console_tests.alarm  # the console's fixtures: its officers and alarm


def panel_of(page):
    return page.html.select_one("section[data-alarm-panel]")


def test_the_fragment_is_the_alarm_s_detail_with_forms_back_to_the_console(testapp, officers, alarm):
    login(testapp, "disp_a")
    fragment = testapp.get(f"/staff/alarms/{alarm.id}/panel")
    assert fragment.headers["Cache-Control"] == "no-store"
    assert "<html" not in fragment.text and "<nav" not in fragment.text  # the detail alone, no layout
    article = fragment.html.select_one("article[data-alarm-page]")
    assert article["data-alarm-id"] == str(alarm.id) and not article.has_attr("data-alarm-keys")
    assert article["data-updates-url"] == f"/staff/alarms/{alarm.id}/updates"  # the thread and track stay live
    assert fragment.html.select_one("h2#selected-alarm-title").get_text().startswith(f"Alarm {alarm.id}")
    assert "A man is following me" in fragment.text and "Behind the bus station" in fragment.text
    assert fragment.html.select_one("figure[data-alarm-map]")["data-track"] == "[[38.2,115.3,25.0,0]]"
    forms = fragment.html.select("form[method=post]")
    assert {f.select_one("input[name=action]")["value"] for f in forms} == {"step", "message", "reveal"}
    assert all(f["action"] == f"/staff/alarms/{alarm.id}" for f in forms)
    assert all(f.select_one("input[name=return]")["value"] == "console" for f in forms)
    assert all(f.select_one("input[name=csrf_token]")["value"] for f in forms)
    assert PHONE not in fragment.text and "Zhang San" not in fragment.text
    assert f'href="/staff/alarms/{alarm.id}"' in fragment.text  # the full page, for the call and more
    # The alarm's own page is the same detail, with its own shortcuts and forms that come back to it.
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    assert page.html.select_one("article[data-alarm-page]").has_attr("data-alarm-keys")
    assert not page.html.select("input[name=return]") and page.html.select_one("h1#alarm-title")


def test_the_fragment_and_the_selection_are_scoped_like_the_alarm_s_page(testapp, dbsession, officers, alarm):
    login(testapp, "disp_b")  # another city's dispatcher
    testapp.get(f"/staff/alarms/{alarm.id}", status=403)
    for url in (f"/staff/alarms/{alarm.id}/panel", f"/staff/alarms?selected={alarm.id}"):
        refused = testapp.get(url, status=403)
        assert "A man is following me" not in refused.text and "no-store" in refused.headers["Cache-Control"]
    testapp.get("/staff/alarms/999999/panel", status=404)
    for selected in ("999999", "x", "-1", "9" * 20):
        testapp.get("/staff/alarms", {"selected": selected}, status=404)
    testapp.post(f"/staff/alarms/{alarm.id}/panel", status=405)  # a fragment to read, nothing to post
    testapp.reset()
    login(testapp, "mod_a")  # a moderator of the alarm's own city: no dispatcher role
    testapp.get(f"/staff/alarms/{alarm.id}/panel", status=403)
    testapp.reset()
    login(testapp, "disp_p")  # the province above the county
    assert "A man is following me" in testapp.get(f"/staff/alarms/{alarm.id}/panel").text


def test_selected_renders_the_panel_beside_the_list(testapp, officers, alarm):
    login(testapp, "disp_a")
    plain = testapp.get("/staff/alarms")
    assert panel_of(plain).has_attr("hidden") and not panel_of(plain).select("article")
    page = testapp.get("/staff/alarms", {"selected": alarm.id})
    assert page.headers["Cache-Control"] == "no-store"
    panel = panel_of(page)
    assert not panel.has_attr("hidden") and "has-selection" in page.html.select_one(".console-grid")["class"]
    assert panel.select_one("article[data-alarm-page]")["data-alarm-id"] == str(alarm.id)
    assert "A man is following me" in panel.select_one("[data-thread]").get_text()
    row = page.html.select_one(f"tr#alarm-{alarm.id}")
    assert "is-selected" in row["class"] and row["aria-current"] == "true"
    # Without JavaScript the row's link still opens the alarm's full page.
    assert row.select_one("a")["href"] == f"/staff/alarms/{alarm.id}"
    assert len(page.html.select("[id]")) == len({node["id"] for node in page.html.select("[id]")})  # ids unique


def test_a_step_and_a_message_from_the_panel_come_back_with_the_alarm_selected(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    page = testapp.get("/staff/alarms", {"selected": alarm.id})
    answer = step_form(page, "acknowledge").submit(status=303)
    assert answer.location.endswith(f"/staff/alarms?selected={alarm.id}#selected-alarm")
    page = answer.follow()
    assert alarm.state == "acknowledged" and "Acknowledged: the sender now sees" in page.text
    assert panel_of(page).select_one("[data-state-label]").get_text() == "acknowledged"
    assert [f["step"].value for f in page.forms.values() if f.fields.get("step")] == ["dispatch", "close"]

    form = action_form(page, "message")
    form["text"] = "We see you on the map."
    answer = form.submit(status=303)
    assert answer.location.endswith(f"/staff/alarms?selected={alarm.id}#thread")
    assert "We see you on the map." in panel_of(answer.follow()).select_one("[data-thread]").get_text()
    assert audit_actions(dbsession, alarm) == ["alarm.acknowledge", "alarm.message"]


def test_a_refusal_from_the_panel_shows_on_the_console(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    page = testapp.get("/staff/alarms", {"selected": alarm.id})
    form = step_form(page, "dispatch")
    form["reason"] = "  "
    refused = form.submit(status=400)
    assert refused.html.select_one("[data-alarm-console]")  # the console, not the alarm's page
    panel = panel_of(refused)
    assert "Say who was sent" in panel.get_text() and panel.select_one("#reason-dispatch")["aria-invalid"] == "true"
    assert "is-selected" in refused.html.select_one(f"tr#alarm-{alarm.id}")["class"]

    acknowledge = step_form(page, "acknowledge")
    alarm.state, alarm.ended_at = "cancelled", utcnow()  # the sender cancelled meanwhile
    dbsession.flush()
    refused = acknowledge.submit(status=409)
    assert "not possible any more" in panel_of(refused).get_text()
    assert audit_actions(dbsession, alarm) == [] and thread_texts(dbsession, alarm) == [
        ("public", "A man is following me")]


def test_the_contact_in_the_panel_needs_a_reason_is_audited_and_kept_nowhere(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    form = action_form(testapp.get("/staff/alarms", {"selected": alarm.id}), "reveal")
    form["reason"] = "no"
    refused = form.submit(status=400)
    assert "at least 5 characters" in panel_of(refused).get_text() and PHONE not in refused.text
    assert "protected.reveal" not in audit_actions(dbsession, alarm)

    form = action_form(refused, "reveal")
    form["reason"] = "The sender stopped answering in the thread"
    shown = form.submit(status=200)
    assert PHONE in panel_of(shown).get_text() and "no-store" in shown.headers["Cache-Control"]
    (event,) = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "protected.reveal")).scalars()
    assert (event.object_id, event.actor) == (str(alarm.id), "officer:disp_a")
    assert event.reason == "alarm.sender_contact: The sender stopped answering in the thread"
    for again in (testapp.get("/staff/alarms", {"selected": alarm.id}), testapp.get(f"/staff/alarms/{alarm.id}/panel")):
        assert PHONE not in again.text and "Zhang San" not in again.text


@pytest.mark.parametrize("path", ["/staff/alarms?selected={id}", "/staff/alarms/{id}/panel"])
def test_the_panel_lists_the_thread_in_order_with_the_dispatcher_s_name(testapp, dbsession, officers, alarm, path):
    login(testapp, "disp_a")
    form = action_form(testapp.get(f"/staff/alarms/{alarm.id}"), "message")
    form["text"] = "Stay where you are."
    form.submit(status=303)
    page = testapp.get(path.format(id=alarm.id))
    lines = [re.sub(r"\s+", " ", li.get_text(" ", strip=True)) for li in page.html.select("[data-thread] li")]
    assert lines[0].startswith("Sender") and "A man is following me" in lines[0]
    assert "Stay where you are." in lines[-1]
