"""schemas/pow.py: the proof-of-work field renders a fresh challenge and hands verify its value."""
import re

import colander
import deform
import pytest
from pyramid import testing

import portal.core.forms
from portal.abuse import pow
from portal.abuse.forms import pow_node
from portal.abuse.ratelimit import MemoryRateLimiter
from portal.core.forms import make_form
from tests.factories import solve_pow

SETTINGS = {"portal.session_secret": "test-session-secret-0123456789abcdef0123456789",
            "portal.pow.bits": "4", "portal.pow.min_fill_seconds": "0"}


@pytest.fixture
def request_():
    config = testing.setUp(settings=SETTINGS)
    config.include(portal.core.forms)
    config.add_static_view("static", "portal:static")
    config.commit()
    request = testing.DummyRequest(rate_limiter=MemoryRateLimiter())
    request.registry = config.registry
    yield request
    testing.tearDown()


def schema():
    node = colander.SchemaNode(colander.Mapping())
    node.add(colander.SchemaNode(colander.String(), name="description"))
    node.add(pow_node())
    return node


def challenges(html):
    return re.findall(r'name="pow_challenge" value="([^"]+)"', html)


def test_the_field_renders_the_challenge_an_empty_nonce_the_words_and_the_script(request_):
    html = make_form(request_, schema()).render()
    [challenge] = challenges(html)
    assert pow.parse(request_, challenge).bits == 4
    assert f'data-pow="{challenge}"' in html and 'data-pow-bits="4"' in html
    assert 'name="pow_nonce" value=""' in html
    assert 'value="pow:mapping"' in html  # challenge and nonce arrive together as one node
    assert 'data-msg-preparing="Preparing the form' in html and "data-msg-ready=" in html
    assert re.search(r'<script src="/static/js/pow\.js" defer>', html)
    assert "Security check" not in html  # hidden: no label for a person to wonder about
    assert "<script>" not in html and "style=" not in html  # strict CSP


def test_every_rendering_gets_a_fresh_challenge_also_after_an_error(request_):
    form = make_form(request_, schema())
    first, second = challenges(form.render()), challenges(form.render())
    assert first != second
    sent = {"description": "", "__start__": "pow:mapping", "pow_challenge": first[0], "pow_nonce": "",
            "__end__": "pow:mapping"}
    with pytest.raises(deform.ValidationFailure) as failure:
        form.validate(list(sent.items()))
    again = challenges(failure.value.render())
    assert again and again != first  # the form that comes back with its messages is not a replay


def test_the_value_is_challenge_and_nonce_for_verify(request_):
    form = make_form(request_, schema())
    [challenge] = challenges(form.render())
    nonce = solve_pow(challenge)
    items = [("description", "x"), ("__start__", "pow:mapping"), ("pow_challenge", challenge),
             ("pow_nonce", nonce), ("__end__", "pow:mapping")]
    data = form.validate(items)
    assert data["pow"] == f"{challenge}:{nonce}"
    assert pow.verify(request_, data["pow"]) is True
    without_js = form.validate([(k, "" if k == "pow_nonce" else v) for k, v in items])
    assert without_js["pow"] == f"{challenge}:"


def test_a_missing_or_mangled_field_becomes_a_value_verify_refuses(request_):
    form = make_form(request_, schema())
    assert form.validate([("description", "x")])["pow"] == ""
    assert form.validate([("description", "x"), ("pow", "v1.a.b.c.d")])["pow"] == ""
    with pytest.raises(pow.PowRefused):
        pow.verify(request_, "")
