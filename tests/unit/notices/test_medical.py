"""Medical needs: sealed at rest, public only with the family's consent, each officer's showing audited."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.notices import medical
from tests.factories import make_officer


def test_sealed_public_only_with_consent_and_audited_for_officers(dummy_request, dbsession, units, as_officer):
    token = medical.seal(dummy_request, "  Epilepsy: carries diazepam  ")
    assert "Epilepsy" not in token
    person = SimpleNamespace(medical_needs=token, medical_needs_public=False)
    assert medical.public_text(dummy_request, person) is None
    person.medical_needs_public = True
    assert medical.public_text(dummy_request, person) == "Epilepsy: carries diazepam"
    assert medical.seal(dummy_request, "  ") is None

    officer = make_officer(dbsession, units["city_a"], ["dispatcher"], username="medical_reader")
    as_officer(officer)
    with pytest.raises(Refused):
        medical.reveal(dummy_request, person, object_type="missing_request", object_id=1, reason="no")
    text = medical.reveal(dummy_request, person, object_type="missing_request", object_id=1,
                          reason="Briefing the search team")
    assert text == "Epilepsy: carries diazepam"
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert event.action == "protected.reveal" and "Briefing the search team" in event.reason
    assert "Epilepsy" not in event.reason
