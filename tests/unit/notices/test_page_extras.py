"""What the notice page gets ready-made instead of macros in its template (issue 14)."""
from types import SimpleNamespace

from markupsafe import Markup
from pyramid.i18n import make_localizer

from portal.core.i18n import LOCALE_DIR
from portal.notices import page_extras


def test_span_writes_a_range_as_the_macro_did():
    assert page_extras.span(3, 5, " cm") == "3–5 cm"
    assert page_extras.span(4, 4) == "4"
    assert page_extras.span(None, 7, " kg") == "7 kg"
    assert page_extras.span(0, None) == "0"


def test_kind_facts_leave_out_the_empty_ones_and_format_the_reward():
    fields = dict.fromkeys(attribute for _label, attribute in page_extras.KIND_FACTS)
    notice = SimpleNamespace(**dict(fields, vehicle_plate="冀A<12345>", reward_amount=5000))
    reader = SimpleNamespace(localizer=make_localizer("en", [LOCALE_DIR]))
    facts = page_extras.kind_facts(reader, notice)
    assert [str(label) for label, _value in facts] == ["Number plate", "Reward"]
    assert facts[0][1] == "冀A<12345>"  # the template escapes it
    assert isinstance(facts[1][1], Markup) and str(facts[1][1]) == "5000 yuan"
