"""What a view returns is translated before its template reads it (core/headers.template_globals): every
TranslationString inside, at any depth, and nothing else touched (the plain values are the very same)."""
import pytest
from markupsafe import Markup
from pyramid.events import BeforeRender
from translationstring import TranslationString

from portal.core import headers


class FakeLocalizer:
    def translate(self, message, domain=None, mapping=None):
        return f"<{message}>"


class FakeRequest:
    localizer = FakeLocalizer()
    locale_name = "en"
    identity = None

    def __init__(self, registry):
        self.registry = registry


def test_translation_strings_are_translated_at_any_depth_and_the_rest_left_alone():
    plain = Markup("<b>kept</b>")
    thing = object()
    values = {"heading": TranslationString("Notices"), "count": 3, "html": plain, "none": None, "thing": thing,
              "facts": [("Height", TranslationString("tall")), ("Name", "Li")],
              "nested": {"label": TranslationString("Sex"), "items": (TranslationString("a"), 1.5, True)}}
    event = BeforeRender({"request": FakeRequest({"fallbacks": None})}, values)
    headers.template_globals(event)
    assert values == {"heading": "<Notices>", "count": 3, "html": plain, "none": None, "thing": thing,
                      "facts": [("Height", "<tall>"), ("Name", "Li")],
                      "nested": {"label": "<Sex>", "items": ("<a>", 1.5, True)}}
    assert values["html"] is plain and values["thing"] is thing
    assert type(values["heading"]) is str and type(values["facts"]) is list


class CountingLocalizer(FakeLocalizer):
    locale_name = "en"

    def __init__(self):
        self.calls = 0

    def translate(self, message, domain=None, mapping=None):
        self.calls += 1
        return super().translate(message)


def test_labels_are_translated_once_per_language_and_read_only():
    from portal.core.i18n import Labels

    labels = Labels({"wanted": TranslationString("Wanted suspect"), "kept": "plain"})
    request = FakeRequest({"fallbacks": None})
    request.localizer = CountingLocalizer()
    for _page in range(3):
        values = {"kind_labels": labels}
        headers.template_globals(BeforeRender({"request": request}, values))
        assert dict(values["kind_labels"]) == {"wanted": "<Wanted suspect>", "kept": "plain"}
    assert request.localizer.calls == 1
    with pytest.raises(TypeError):  # shared by every page: nobody may change it
        values["kind_labels"]["wanted"] = "changed"
    assert values["kind_labels"]["wanted"] == "<Wanted suspect>"
    assert labels["wanted"] == TranslationString("Wanted suspect")


def test_what_a_view_marked_translated_is_not_walked():
    from portal.core.i18n import Translated, TranslatedTuple

    made = Translated({"share": "https://portal.test/notices/1"})
    cards = TranslatedTuple([object(), object()])
    values = {"share": made, "cards": cards}
    headers.template_globals(BeforeRender({"request": FakeRequest({"fallbacks": None})}, values))
    assert values["share"] is made and values["cards"] is cards
