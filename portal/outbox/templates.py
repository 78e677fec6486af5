"""The messages the portal sends, one template each: a name, the text (a translatable message id
with ${values}) and the values it takes, in the order template-only gateways want them (Tencent Cloud
SMS numbers them {1}, {2}...: `portal.sms.tencent.templates` maps each name and language to the id
of the template approved there, with the same values in the same order).

What a message may say is fixed here, reviewed once: the values are what its recipient gave or may
know (the label they gave a trip, a time, the center's name, a link to their own page), never another
person's name, number or place."""
from dataclasses import dataclass

from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    text: TranslationString
    values: tuple[str, ...]
    subject: TranslationString | None = None  # for e-mail

    def render(self, localizer, params: dict) -> str:
        missing = [name for name in self.values if name not in params]
        if missing or set(params) - set(self.values):
            raise ValueError(f"template {self.name} takes {self.values}, not {sorted(params)}")
        return localizer.translate(TranslationString(self.text, mapping={k: str(v) for k, v in params.items()}))

    def render_subject(self, localizer) -> str:
        return localizer.translate(self.subject) if self.subject is not None else ""


TEMPLATES: dict[str, MessageTemplate] = {}


def template(name: str, text: TranslationString, values: tuple[str, ...],
             subject: TranslationString | None = None) -> MessageTemplate:
    """Declare a message (at import, beside the code that sends it); one name, one template."""
    declared = MessageTemplate(name, text, tuple(values), subject)
    if TEMPLATES.setdefault(name, declared) != declared:
        raise ValueError(f"two templates named {name}")
    return declared


def localizer_for(request, locale: str):
    dirs = request.registry.queryUtility(ITranslationDirectories, default=[])
    return make_localizer(locale, dirs)
