"""What a view returns is translated before its template reads it (core/headers.template_globals): every
TranslationString inside, at any depth, and nothing else touched (the plain values are the very same)."""
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
