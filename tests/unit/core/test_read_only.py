"""core/read_only.py's small parts; tests/functional/test_read_only_pages.py walks the pages."""
from types import SimpleNamespace

from sqlalchemy import make_url

from portal.core import read_only


def test_an_in_memory_database_has_no_second_engine():
    assert read_only.usable("sqlite:///var/portal.sqlite")
    assert read_only.usable("postgresql+psycopg://portal@db/portal")
    assert not read_only.usable("sqlite://")
    assert not read_only.usable("sqlite:///:memory:")


def test_the_read_only_option_joins_what_the_url_already_asks():
    url = make_url("postgresql+psycopg://portal@db/portal?options=-c%20statement_timeout%3D5000")
    args = read_only.read_only_connect_args(url, {"cursor_factory": object})
    assert args["options"] == "-c statement_timeout=5000 -c default_transaction_read_only=on"
    assert args["cursor_factory"] is object
    assert read_only.read_only_connect_args(make_url("sqlite:///x.sqlite"), {}) == {}
    # libpq reads PGOPTIONS only without an `options` parameter: what it holds is kept.
    args = read_only.read_only_connect_args(make_url("postgresql+psycopg://portal@db/portal"), {},
                                            environ={"PGOPTIONS": "-c search_path=portal"})
    assert args == {"options": "-c search_path=portal -c default_transaction_read_only=on"}


def request_for(method="GET", route="notice", cookies=None, headers=None):
    registry = {read_only.ROUTES: {"notice", "home"}}
    return SimpleNamespace(method=method, matched_route=SimpleNamespace(name=route) if route else None,
                           registry=registry, cookies=cookies or {}, headers=headers or {})


def test_only_anonymous_reads_of_declared_routes_apply():
    assert read_only.applies(request_for())
    assert read_only.applies(request_for(method="HEAD", route="home"))
    assert not read_only.applies(request_for(method="POST"))
    assert not read_only.applies(request_for(route="staff_notice"))
    assert not read_only.applies(request_for(route=None))  # before routing, or no route matched
    assert not read_only.applies(request_for(cookies={"portal_session": "x"}))
    assert not read_only.applies(request_for(headers={"Authorization": "Bearer x"}))
    assert read_only.applies(request_for(cookies={"lang": "en"}))


def test_the_setting_and_the_database_decide_whether_it_is_on():
    assert read_only.enabled({"sqlalchemy.url": "sqlite:///var/portal.sqlite"})
    assert not read_only.enabled({"sqlalchemy.url": "sqlite:///var/portal.sqlite", read_only.SETTING: "false"})
    assert not read_only.enabled({"sqlalchemy.url": "sqlite://"})
