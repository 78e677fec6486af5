"""portal.public_url: the one base of every absolute link, checked at start-up."""
import pytest

from portal.core.links import public_base, public_host, public_url
from portal.core.settings import SettingsError, check_settings
from tests.unit.core.test_secret_strength import strong

# Strong secrets (production would refuse weak ones before it looks at the address), no address.
GOOD = {k: v for k, v in strong().items() if k != "portal.public_url"} | {"portal.production": "false"}


def test_production_refuses_to_start_without_a_public_url_and_says_what_to_set():
    with pytest.raises(SettingsError, match=r"portal.public_url \(or \$PORTAL_PUBLIC_URL\) is required in production"):
        check_settings(dict(GOOD, **{"portal.production": "true"}))


@pytest.mark.parametrize("value", ["safety.example.gov.cn", "ftp://safety.example.gov.cn", "https://",
                                   "https://safety.example.gov.cn/?x=1", "https://user:pw@safety.example.gov.cn"])
def test_a_malformed_public_url_is_refused(value):
    with pytest.raises(SettingsError, match="portal.public_url must be an http"):
        check_settings(dict(GOOD, **{"portal.public_url": value}))


def test_production_wants_https():
    with pytest.raises(SettingsError, match="https:// in production"):
        check_settings(dict(GOOD, **{"portal.production": "true", "portal.public_url": "http://safety.example.gov.cn"}))
    check_settings(dict(GOOD, **{"portal.production": "true", "portal.public_url": "https://safety.example.gov.cn"}))


def test_development_may_leave_it_empty():
    check_settings(dict(GOOD, **{"portal.public_url": ""}))


def test_links_start_with_the_setting_whatever_the_host(dummy_request, monkeypatch):
    dummy_request.environ["HTTP_HOST"] = "evil.example"
    monkeypatch.setitem(dummy_request.registry.settings, "portal.public_url", "https://safety.example.gov.cn/portal/")
    assert public_base(dummy_request) == "https://safety.example.gov.cn/portal"
    assert public_url(dummy_request, "notice", id=7) == "https://safety.example.gov.cn/portal/notices/7"
    assert dummy_request.public_url("notice", id=7, _query={"a": "b"}) == "https://safety.example.gov.cn/portal/notices/7?a=b"
    assert public_host(dummy_request) == "safety.example.gov.cn"


def test_without_the_setting_development_links_to_itself(dummy_request, monkeypatch):
    monkeypatch.setitem(dummy_request.registry.settings, "portal.public_url", "")
    dummy_request.environ.update(HTTP_HOST="127.0.0.1:6543")
    assert public_url(dummy_request, "notice", id=7).endswith("/notices/7")
