"""The one FormView: GET shows the form, a valid POST goes to its button's handler, invalid fields come
back as a 400 with their messages, and a Refused from a handler or from `before` shows the form again,
filled in as sent, with the message at its field or on top, its status, and the transaction doomed.
MultiFormView does the same for the one form of a page that was posted and shows the others fresh."""
import itertools

import colander
import pytest
import transaction
from pyramid import testing

import portal.core.forms
from portal.abuse.ratelimit import RateLimited
from portal.core.forms import FormView, MultiFormView, PageForm
from portal.core.refused import Refused

SETTINGS = {"portal.session_secret": "test-session-secret-0123456789abcdef0123456789"}


def schema():
    node = colander.SchemaNode(colander.Mapping())
    node.add(colander.SchemaNode(colander.String(), name="name", title="Name"))
    node.add(colander.SchemaNode(colander.String(), name="place", title="Place", missing=""))
    return node


class Example(FormView):
    schema_factory = staticmethod(schema)
    buttons = (("save", "Save"), ("check", "Check"))
    refuse = None  # a Refused the handler raises
    limit = None  # one `before` raises

    def appstruct(self):
        return {"name": "Shown first"}

    def page(self, **values):
        return {"heading": "Example", **values}

    def before(self, form):
        if self.limit is not None:
            raise self.limit

    def save_success(self, data):
        if self.refuse is not None:
            raise self.refuse
        return {"saved": data}

    def check_success(self, data):
        return {"checked": data}


@pytest.fixture
def request_():
    config = testing.setUp(settings=SETTINGS)
    config.include(portal.core.forms)
    config.commit()
    request = testing.DummyRequest()
    request.registry = config.registry
    request.tm = transaction.TransactionManager(explicit=True)
    request.tm.begin()
    yield request
    request.tm.abort()
    testing.tearDown()


def post(request, **fields):
    request.method = "POST"
    request.POST = {"name": "", "place": "", **fields}
    return request


def test_get_shows_the_form_filled_in(request_):
    page = Example(None, request_)()
    assert page["heading"] == "Example" and 'value="Shown first"' in page["form"]


def test_a_valid_post_goes_to_the_pressed_buttons_handler(request_):
    assert Example(None, post(request_, name="Lan", save="save"))() == {"saved": {"name": "Lan", "place": ""}}
    assert Example(None, post(request_, name="Lan", check="check"))()["checked"]["name"] == "Lan"
    assert "saved" in Example(None, post(request_, name="Lan"))()  # no button named: the first


def test_invalid_fields_come_back_as_a_400_with_what_was_typed(request_):
    page = Example(None, post(request_, place="Bus stop", save="save"))()
    assert request_.response.status_int == 400 and "Required" in page["form"] and "Bus stop" in page["form"]


def test_a_refusal_at_a_field_shows_it_there_keeps_the_form_and_dooms_the_transaction(request_):
    view = Example(None, post(request_, name="Lan", place="Nowhere", save="save"))
    view.refuse = Refused("That place is not in the province.", 422, "place")
    page = view()
    assert request_.response.status_int == 422 and request_.tm.isDoomed()
    assert "That place is not in the province." in page["form"] and 'value="Nowhere"' in page["form"]
    assert "error" not in page


def test_a_refusal_of_the_whole_form_is_shown_on_top(request_):
    view = Example(None, post(request_, name="Lan", save="save"))
    view.refuse = Refused("Someone else changed this meanwhile.", 409)
    page = view()
    assert request_.response.status_int == 409 and page["error"] == "Someone else changed this meanwhile."
    assert 'value="Lan"' in page["form"]


def test_a_rate_limit_before_the_fields_are_read_says_when_to_come_back(request_):
    view = Example(None, post(request_, name="Lan", save="save"))
    view.limit = RateLimited(600)
    page = view()
    assert request_.response.status_int == 429 and request_.response.headers["Retry-After"] == "600"
    assert "10 minutes" in page["error"].interpolate() and 'value="Lan"' in page["form"]


# --- several forms on one page ----------------------------------------------------------------------

def note_schema():
    node = colander.SchemaNode(colander.Mapping())
    node.add(colander.SchemaNode(colander.String(), name="note", title="Note"))
    return node


class TwoForms(MultiFormView):
    """A person's name (the Example schema) and a note, on one page."""

    refuse = None

    def forms(self):
        return [
            PageForm("person", schema, (("save", "Save"), ("check", "Check")),
                     {"save": self.save_person, "check": lambda data: {"checked": data}}, {"name": "Shown first"}),
            PageForm("note", note_schema, (("add", "Add note"),), {"add": lambda data: {"noted": data}},
                     {"note": "Old note"}, {"counter": itertools.count(100)}),
        ]

    def save_person(self, data):
        if self.refuse is not None:
            raise self.refuse
        return {"saved": data}

    def other_post(self):
        if self.request.POST.get("action") == "hide":
            return {"hidden": True}
        return super().other_post()


def test_get_shows_every_form_filled_in(request_):
    page = TwoForms(None, request_)()
    assert set(page["forms"]) == {"person", "note"} and page["error"] is None
    assert 'value="Shown first"' in page["forms"]["person"] and "Old note" in page["forms"]["note"]
    assert 'name="__formid__" value="note"' in page["forms"]["note"]


def test_a_post_goes_to_its_forms_pressed_button(request_):
    assert TwoForms(None, post(request_, __formid__="person", name="Lan", check="check"))() == {
        "checked": {"name": "Lan", "place": ""}}
    assert TwoForms(None, post(request_, __formid__="note", note="New", add="add"))() == {"noted": {"note": "New"}}


def test_invalid_fields_bring_back_only_the_posted_form_the_others_fresh(request_):
    page = TwoForms(None, post(request_, __formid__="note", note="", name="Typed elsewhere", add="add"))()
    assert request_.response.status_int == 400
    assert "Required" in page["forms"]["note"] and "Old note" not in page["forms"]["note"]
    assert 'value="Shown first"' in page["forms"]["person"] and "Required" not in page["forms"]["person"]


def test_a_refusal_shows_the_posted_form_as_sent_with_the_message_at_its_field(request_):
    view = TwoForms(None, post(request_, __formid__="person", name="Lan", place="Nowhere", save="save"))
    view.refuse = Refused("That place is not in the province.", 422, "place")
    page = view()
    assert request_.response.status_int == 422 and request_.tm.isDoomed() and page["error"] is None
    assert "That place is not in the province." in page["forms"]["person"] and 'value="Nowhere"' in page["forms"]["person"]
    assert "Old note" in page["forms"]["note"]


def test_a_refusal_of_the_whole_form_is_shown_on_top_of_the_page(request_):
    view = TwoForms(None, post(request_, __formid__="person", name="Lan", save="save"))
    view.refuse = Refused("Someone else changed this meanwhile.", 409)
    page = view()
    assert request_.response.status_int == 409 and page["error"] == "Someone else changed this meanwhile."
    assert 'value="Lan"' in page["forms"]["person"]


def test_a_post_for_no_form_goes_to_other_post_or_is_refused(request_):
    assert TwoForms(None, post(request_, action="hide"))() == {"hidden": True}
    page = TwoForms(None, post(request_, __formid__="forged", action="delete"))()
    assert request_.response.status_int == 400 and request_.tm.isDoomed()
    assert page["error"] == MultiFormView.NO_FORM and 'value="Shown first"' in page["forms"]["person"]
