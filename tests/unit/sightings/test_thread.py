"""The sender's side of a sighting (sightings/thread.py): coarse states, who may write when, answers
stored once, and what retention takes."""
import pytest
from sqlalchemy import func, select

from portal.core.refused import Refused
from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.sightings import thread
from portal.sightings.models import SIGHTING_STATES, SightingMessage
from tests.factories import make_notice, make_officer, make_sighting, sign_in


@pytest.fixture
def sighting(dbsession, units):
    return make_sighting(dbsession, make_notice(dbsession, units["city_a"]))


def test_every_state_has_a_coarse_one_and_no_internal_name_leaks():
    assert set(thread.COARSE_STATES) == set(SIGHTING_STATES)
    assert set(thread.COARSE_STATES.values()) == {"received", "checking", "passed_on", "closed"}


def test_a_purged_sighting_opens_nothing(dbsession, sighting):
    assert thread.for_receipt(dbsession, sighting.id) is sighting
    sighting.purged_at = sighting.created_at
    assert thread.for_receipt(dbsession, sighting.id) is None and not thread.accepts_messages(sighting)
    assert thread.for_receipt(dbsession, 2**31 - 1) is None


def test_the_police_write_to_an_open_sighting_with_a_receipt_only(dummy_request, dbsession, units, sighting):
    sign_in(dummy_request, make_officer(dbsession, units["city_a"], ["moderator"]))
    with pytest.raises(Refused) as unreadable:  # sent before receipts: nobody could read the answer
        thread.write_to_sender(dummy_request, sighting, "Which way did she go?")
    assert unreadable.value.status == 409
    receipts.issue(dbsession, dummy_request.registry["receipt_hasher"], "sighting", sighting.id)
    message = thread.write_to_sender(dummy_request, sighting, "  Which way did she go?  ")
    assert (message.author, message.body, message.client_nonce) == ("police", "Which way did she go?", None)
    with pytest.raises(Refused) as empty:
        thread.write_to_sender(dummy_request, sighting, " \n ")
    assert empty.value.status == 400 and empty.value.field == "body"
    sighting.state = "closed"
    with pytest.raises(Refused) as closed:
        thread.write_to_sender(dummy_request, sighting, "Thanks")
    assert closed.value.status == 409


def test_an_answer_with_the_same_nonce_is_stored_once(dummy_request, dbsession, sighting):
    first = thread.reply(dummy_request, sighting, "North.", nonce="n" * 20)
    again = thread.reply(dummy_request, sighting, "North, again.", nonce="n" * 20)
    assert again.id == first.id and again.body == "North."
    assert [m.body for m in thread.messages(dbsession, sighting)] == ["North."]


def test_forget_takes_the_thread_and_the_receipt_of_that_sighting_only(dummy_request, dbsession, units, sighting):
    other = make_sighting(dbsession, sighting.notice)
    hasher = dummy_request.registry["receipt_hasher"]
    code = receipts.issue(dbsession, hasher, "sighting", sighting.id)
    receipts.issue(dbsession, hasher, "sighting", other.id)
    receipts.issue(dbsession, hasher, "tip", sighting.id)  # same number, another kind: stays
    thread.reply(dummy_request, sighting, "North.")
    thread.reply(dummy_request, other, "South.")
    assert thread.forget(dbsession, sighting) == (1, 1)
    assert receipts.lookup(dbsession, hasher, code) is None
    assert dbsession.execute(select(func.count()).select_from(Receipt)).scalar_one() == 2
    assert [m.body for m in dbsession.execute(select(SightingMessage)).scalars()] == ["South."]
