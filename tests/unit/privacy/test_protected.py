import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.privacy import protected
from tests.factories import make_officer, make_units


@pytest.fixture
def officer_request(dummy_request, dbsession):
    officer = make_officer(dbsession, make_units(dbsession)["city_a"], ["handler"], username="h")
    dummy_request.officer = officer
    return dummy_request


def test_reveal_decrypts_and_audits_who_why_and_what(officer_request, dbsession):
    token = protected.seal(officer_request, "13800138000", "tip.contact")
    assert "13800138000" not in token
    value = protected.reveal(officer_request, token, officer=officer_request.officer, label="tip.contact",
                             object_type="tip", object_id=5, reason="calling back about the report")
    assert value == "13800138000"
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "protected.reveal", "officer:h", "tip", "5")
    assert event.reason == "tip.contact: calling back about the report"
    assert "13800138000" not in event.reason


@pytest.mark.parametrize("reason", ["", "   ", "why"])
def test_reveal_without_a_reason_is_refused_and_not_decrypted(officer_request, dbsession, reason):
    token = protected.seal(officer_request, "secret", "tip.contact")
    with pytest.raises(Refused):
        protected.reveal(officer_request, token, officer=officer_request.officer, label="tip.contact",
                         object_type="tip", object_id=5, reason=reason)
    assert dbsession.execute(select(AuditEvent)).first() is None


def test_anonymous_cannot_reveal(dummy_request):
    with pytest.raises(Refused):
        protected.reveal(dummy_request, "t1$x", officer=None, label="l", object_type="tip", object_id=1, reason="a good reason")
