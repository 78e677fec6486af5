"""Fixtures of the notices' unit tests: officers of the notice's unit and above, signed in."""
import pytest

from portal.accounts.policy import SESSION_KEY, auth_epoch
from portal.notices.resources import StaffNoticeContext
from tests.factories import make_officer


@pytest.fixture
def as_officer(dummy_request):
    """Make `officer` the signed-in officer of the dummy request, with the notice's staff context
    (what the engine checks the role against) when a notice is given."""
    def sign_in(officer, notice=None):
        dummy_request.session[SESSION_KEY] = officer.id
        dummy_request.session["auth_epoch"] = auth_epoch(officer)
        dummy_request.__dict__.pop("identity", None)
        assert dummy_request.identity is officer
        if notice is not None:
            dummy_request.matchdict = {"id": str(notice.id)}
            dummy_request.context = StaffNoticeContext(dummy_request)
        return dummy_request
    return sign_in


@pytest.fixture
def author(dbsession, units):
    return make_officer(dbsession, units["city_a"], ["moderator"], username="author")


@pytest.fixture
def reviewer(dbsession, units):
    return make_officer(dbsession, units["province"], ["moderator"], username="reviewer")


@pytest.fixture
def purged(dbsession):
    """The cache tags whose purge was queued (notices/purge_tags.py) since this fixture was set up."""
    from sqlalchemy import func, select

    from portal.outbox.models import ProxyPurge

    before = dbsession.execute(select(func.coalesce(func.max(ProxyPurge.id), 0))).scalar_one()

    def tags() -> set[str]:
        rows = dbsession.execute(select(ProxyPurge.tags).where(ProxyPurge.id > before)).scalars()
        return {tag for row in rows for tag in row.split()}
    return tags
