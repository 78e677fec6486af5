"""Races, with real threads and real transactions (issue 10, finding 3), on SQLite and PostgreSQL.

Every other test shares one rolled-back connection; these run the app as production does: each
request its own session and transaction through pyramid_tm, committed or not, on a database of their
own. The window between reading a state and writing it is widened with a short sleep (a slow server),
so that two requests really do both read before either writes, every time."""
import threading
import time

import pytest
import transaction
import webtest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.alarms import idempotency
from portal.alarms.models import Alarm, AlarmMessage
from portal.audit.models import AuditEvent
from portal.core.db import dispose_engines
from portal.privacy import receipts
from portal.sightings.models import Sighting
from portal.tips import submission
from portal.tips.models import TipMessage
from portal.trips.models import Trip
from portal.workflow import Workflow
from tests.conftest import migrated_engine, own_postgres_database, settings_for
from tests.factories import make_notice, make_officer, make_sighting, make_tip, make_trip, make_units
from tests.functional.helpers import login

WINDOW = 0.3  # seconds each request lingers between its check and its write


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_url(request, tmp_path_factory):
    """A database of the module's own: these tests commit."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('races')}/races.sqlite"
        return
    with own_postgres_database("races") as url:
        yield url


@pytest.fixture(scope="module")
def race_engine(race_url):
    with migrated_engine(race_url) as engine:
        yield engine


@pytest.fixture(scope="module")
def race_app(race_url, race_engine, tmp_path_factory):
    app = portal.main({}, **settings_for(race_url, tmp_path_factory.mktemp("race-media")))
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    yield app
    dispose_engines(app.registry)


@pytest.fixture(scope="module")
def world(race_app, race_engine):
    """Units and officers, committed once for the module."""
    with Session(race_engine, expire_on_commit=False) as dbsession:
        units = make_units(dbsession)
        officers = [make_officer(dbsession, units["city_a"], ["moderator"], username=f"race_mod_{n}")
                    for n in range(2)]
        dbsession.commit()
        return {"units": units, "officers": officers}


@pytest.fixture
def committed(race_engine):
    """A session whose work is committed (and seen by the app's requests)."""
    with Session(race_engine, expire_on_commit=False) as dbsession:
        yield dbsession


def browser(app, n: int) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                               "REMOTE_ADDR": f"203.0.113.{10 + n}"})


def at_once(*calls):
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


@pytest.fixture
def slow_steps(monkeypatch):
    """Every workflow check that passes lingers before the write (a slow server)."""
    check = Workflow.refusal

    def slow(self, *args, **kw):
        refused = check(self, *args, **kw)
        if refused is None:
            time.sleep(WINDOW)
        return refused

    def start():
        monkeypatch.setattr(Workflow, "refusal", slow)
    return start


def lingering(monkeypatch, module, name):
    """Make module.name linger when it finds nothing (the look-up before an insert)."""
    look = getattr(module, name)

    def slow(*args, **kw):
        found = look(*args, **kw)
        if found is None:
            time.sleep(WINDOW)
        return found
    monkeypatch.setattr(module, name, slow)


def test_two_guardians_pressing_at_once_raise_one_alarm(race_app, world, committed, slow_steps):
    trip, _token, guards = make_trip(committed, guardians=("Mum", "Dad"))
    committed.commit()
    browsers = [browser(race_app, n) for n in range(2)]
    forms = []
    for client, guard in zip(browsers, guards, strict=True):
        page = client.get(f"/guard/{guard}")
        forms.append(next(f for f in page.forms.values() if (f.action or "").endswith("/alarm")))
    for form in forms:
        form["confirm"] = True
    slow_steps()
    answers = at_once(*(lambda form=form: form.submit(status="*") for form in forms))
    assert [a.status_int for a in answers] == [303, 303], [getattr(a, "text", a) for a in answers]
    committed.expire_all()
    alarms = committed.execute(select(Alarm).where(Alarm.trip_id == trip.id)).scalars().all()
    assert len(alarms) == 1
    assert committed.get(Trip, trip.id).state == "alarm_raised"
    raised = committed.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "trip.raise_alarm", AuditEvent.object_id == str(trip.id))).scalar_one()
    assert raised == 1
    for client, guard in zip(browsers, guards, strict=True):  # both guardians see the one alarm
        assert client.get(f"/guard/{guard}/updates").json["alarm_sent"] is True


def test_two_officers_stepping_one_sighting_at_once_one_wins(race_app, world, committed, slow_steps):
    notice = make_notice(committed, world["units"]["city_a"])
    sighting = make_sighting(committed, notice, text="Seen at the station")
    committed.commit()
    forms = []
    for n, officer in enumerate(world["officers"]):
        client = browser(race_app, n)
        login(client, officer.username)
        page = client.get(f"/staff/sightings/{sighting.id}")
        forms.append(next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == "review"))
    for form in forms:
        form["reason"] = "Matches the notice."
    slow_steps()
    answers = at_once(*(lambda form=form: form.submit(status="*") for form in forms))
    assert sorted(a.status_int for a in answers) == [303, 409], [getattr(a, "text", a) for a in answers]
    loser = next(a for a in answers if a.status_int == 409)
    assert "Someone else changed this" in loser.text or "not possible" in loser.text
    committed.expire_all()
    assert (committed.get(Sighting, sighting.id).state, committed.get(Sighting, sighting.id).version) == ("reviewed", 2)
    steps = committed.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "sighting.review", AuditEvent.object_id == str(sighting.id))).scalar_one()
    assert steps == 1


def test_one_alarm_form_sent_twice_at_once_is_one_alarm(race_app, world, committed, monkeypatch):
    client = browser(race_app, 0)
    form = client.get("/alarm").forms["alarm-form"]
    form["text"] = "Race: followed near the bridge"
    lingering(monkeypatch, idempotency, "by_hash")
    answers = at_once(*(lambda: form.submit(status="*") for _ in range(2)))
    assert [a.status_int for a in answers] == [303, 303], [getattr(a, "text", a) for a in answers]
    assert answers[0].location == answers[1].location
    count = committed.execute(select(func.count()).select_from(AlarmMessage).where(
        AlarmMessage.text == "Race: followed near the bridge")).scalar_one()
    assert count == 1
    assert client.get(answers[0].location).status_int == 200


def test_one_status_reply_sent_twice_at_once_is_stored_once(race_app, world, committed, monkeypatch, registry=None):
    tip = make_tip(committed, world["units"]["city_a"])
    code = receipts.issue(committed, race_app.registry["receipt_hasher"], "tip", tip.id)
    committed.commit()
    client = browser(race_app, 0)
    lookup = client.get("/status").forms[0]
    lookup["code"] = code
    page = lookup.submit(status=200)
    reply = next(f for f in page.forms.values() if (f.action or "").endswith("/status/reply"))
    reply["message"] = "Race: the car was blue"
    lingering(monkeypatch, submission, "_resent_reply")
    answers = at_once(*(lambda: reply.submit("reply", status="*") for _ in range(2)))
    assert [a.status_int for a in answers] == [200, 200], [getattr(a, "text", a)[:500] for a in answers]
    stored = committed.execute(select(func.count()).select_from(TipMessage).where(
        TipMessage.tip_id == tip.id, TipMessage.body == "Race: the car was blue")).scalar_one()
    assert stored == 1
    transaction.abort()  # nothing of the test's own is left open


def test_two_dispatchers_answering_one_call_at_once_one_takes_it(race_app, world, committed, slow_steps):
    """Any dispatcher of the center may answer a ringing call; of two pressing at once, the first takes
    it and the second is told who did (409), with one answer in the audit log."""
    import json

    from portal.calls.models import Call
    from tests.factories import make_alarm

    dispatchers = [make_officer(committed, world["units"]["city_a"], ["dispatcher"], username=f"race_disp_{n}_{id(committed)}")
                   for n in range(2)]
    alarm, _token = make_alarm(committed, world["units"]["county_a"], kind="video")
    call = Call(alarm_id=alarm.id, kind="video", state="ringing")
    committed.add(call)
    committed.commit()
    clients = []
    for n, officer in enumerate(dispatchers):
        client = browser(race_app, n)
        login(client, officer.username)
        token = client.get("/staff/alarms").html.find("input", {"name": "csrf_token"})["value"]
        clients.append((client, token))
    slow_steps()
    answers = at_once(*(lambda c=c, t=t: c.post(f"/staff/calls/{call.id}/answer", json.dumps({}), status="*", headers={
        "X-CSRF-Token": t, "Accept": "application/json", "Content-Type": "application/json"}) for c, t in clients))
    assert sorted(a.status_int for a in answers) == [200, 409], [getattr(a, "text", a) for a in answers]
    winner = next(a for a in answers if a.status_int == 200).json["call"]
    loser = next(a for a in answers if a.status_int == 409).json
    committed.expire_all()
    taken = committed.get(Call, call.id)
    assert taken.state == "connected" and taken.officer_id in {d.id for d in dispatchers} and winner["mine"]
    assert loser["call"]["taken_by"] == taken.officer.display_name and "already took" in loser["error"]
    answered = committed.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.answer", AuditEvent.object_id == str(call.id))).scalar_one()
    assert answered == 1
