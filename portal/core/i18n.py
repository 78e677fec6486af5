"""Languages: Simplified Chinese by default, English, Uyghur (right to left).

The locale comes from ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language."""
import logging
import os
from types import MappingProxyType

from markupsafe import Markup
from pyramid.events import ApplicationCreated, NewResponse, subscriber  # noqa: F401
from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory, make_localizer
from pyramid.interfaces import ILocalizer, ITranslationDirectories

from portal.core import paths

_ = TranslationStringFactory("portal")
log = logging.getLogger(__name__)

LANGUAGES = {
    "zh_CN": {"label": "简体中文", "dir": "ltr", "html": "zh-Hans"},
    "en": {"label": "English", "dir": "ltr", "html": "en"},
    "ug": {"label": "ئۇيغۇرچە", "dir": "rtl", "html": "ug"},
}
COOKIE = "lang"
PLAIN_MEMO_LIMIT = 20_000  # messages remembered per language (the catalogs hold about 1,500)
LOCALE_DIR = str(paths.LOCALE_DIR)


def _known(value):
    if not value:
        return None
    value = value.replace("-", "_")
    if value in LANGUAGES:
        return value
    base = value.split("_")[0].lower()
    if base == "zh":
        return "zh_CN"
    return base if base in LANGUAGES else None


def ltr(value) -> Markup:
    """Template filter: numbers and coordinates isolated left to right, so "38.5, 116.2" keeps its
    order inside a right-to-left (Uyghur) sentence."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def negotiate_locale(request):
    chosen = _known(request.GET.get("lang")) or _known(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    default = request.registry.settings.get("portal.default_locale", "zh_CN")
    # RFC 4647 lookup: "en-GB" falls back to "en", "zh-Hans-CN" to "zh".
    match = request.accept_language.lookup(language_tags=["zh-CN", "zh", "en", "ug"], default=default)
    return _known(match) or default


def remember_language(event):
    """Persist an explicit ?lang= choice for a year."""
    request = event.request
    chosen = _known(request.GET.get("lang")) if request.GET else None
    if chosen and request.cookies.get(COOKIE) != chosen:
        event.response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)


def compile_catalogs(locale_dir: str = LOCALE_DIR) -> list[str]:
    """Compile every .po whose .mo is missing or older, so a fresh clone serves translations."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for root, _dirs, files in os.walk(locale_dir):
        for name in files:
            if not name.endswith(".po"):
                continue
            po_path = os.path.join(root, name)
            mo_path = po_path[:-3] + ".mo"
            if os.path.exists(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
                continue
            try:
                with open(po_path, "rb") as po:
                    catalog = read_po(po)
                with open(mo_path, "wb") as mo:
                    write_mo(mo, catalog)
                compiled.append(mo_path)
            except OSError as exc:  # a read-only install must have been compiled at build time
                log.warning("cannot compile %s: %s", po_path, exc)
    compiled.extend(_borrow_colander_chinese(locale_dir))
    return compiled


def _borrow_colander_chinese(locale_dir: str) -> list[str]:
    """Colander names its Simplified Chinese catalog zh_Hans, which Pyramid never looks up for
    our zh_CN: place a copy of its compiled messages ("Required", "Invalid date") under ours."""
    import shutil
    from importlib.resources import files

    source = files("colander").joinpath("locale/zh_Hans/LC_MESSAGES/colander.mo")
    target = os.path.join(locale_dir, "zh_CN", "LC_MESSAGES", "colander.mo")
    try:
        if not source.is_file() or (os.path.exists(target) and os.path.getsize(target) > 0):
            return []
        with source.open("rb") as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
        return [target]
    except OSError as exc:
        log.warning("cannot place colander's Chinese messages: %s", exc)
        return []


class Translated(dict):
    """Values a view made in the reader's language (a page's memoized extras): template_globals does
    not walk them again looking for translation strings."""


class TranslatedTuple(tuple):
    """A sequence made in the reader's language, as Translated."""


class Labels(dict):
    """A constant map of messages (the kinds' names): translated once per language for the templates,
    not on every page that shows one of them. Read-only for them."""

    __slots__ = ("_by_language",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._by_language = {}

    def translated(self, localizer) -> MappingProxyType:
        made = self._by_language.get(localizer.locale_name)
        if made is None:
            made = MappingProxyType({key: localizer.translate(value) if isinstance(value, TranslationString) else value
                                     for key, value in self.items()})
            self._by_language[localizer.locale_name] = made
        return made


class NestedLocalizer(Localizer):
    """Pyramid's localizer, which also translates the translation strings inside a mapping: "This step
    is not possible while the ${object} is ${state}" with object=_("tip") reads "tip" in the reader's
    language, not in English (translationstring leaves nested ones as their msgid)."""

    def __init__(self, locale_name, translations):
        super().__init__(locale_name, translations)
        # Message -> its translation, for messages without a mapping (templates' `_("...")`, about 50
        # per page): the catalogs never change while the process runs, so each is looked up once.
        self._plain = {}
        # A template's `_("...")` without keywords, as the Markup it gives (core/template_gettext.py).
        self.template_texts = {}

    def translate(self, tstring, domain=None, mapping=None):
        if mapping is None and getattr(tstring, "mapping", None) is None:
            key = (type(tstring) is str, str(tstring), domain, getattr(tstring, "domain", None),
                   getattr(tstring, "default", None), getattr(tstring, "context", None))
            try:
                return self._plain[key]
            except KeyError:
                translated = self._translate(tstring, domain, mapping)
                if len(self._plain) < PLAIN_MEMO_LIMIT:  # bounded, should a template translate data
                    self._plain[key] = translated
                return translated
        return self._translate(tstring, domain, mapping)

    def _translate(self, tstring, domain, mapping):
        inner = getattr(tstring, "mapping", None) or mapping
        if inner and any(isinstance(value, TranslationString) for value in inner.values()):
            words = {key: self.translate(value) if isinstance(value, TranslationString) else value
                     for key, value in inner.items()}
            if isinstance(tstring, TranslationString):
                tstring = TranslationString(tstring, mapping=words)
            else:
                mapping = words
        return super().translate(tstring, domain=domain, mapping=mapping)


def register_localizers(event):
    """Once every translation directory is known: one NestedLocalizer per language, where Pyramid
    looks for its cached localizers (request.localizer)."""
    registry = event.app.registry
    directories = registry.queryUtility(ITranslationDirectories, default=[])
    for code in LANGUAGES:
        plain = make_localizer(code, directories)
        registry.registerUtility(NestedLocalizer(code, plain.translations), ILocalizer, name=code)


def includeme(config):
    compile_catalogs()
    config.add_translation_dirs("portal:locale")
    config.set_locale_negotiator(negotiate_locale)
    config.add_subscriber(remember_language, NewResponse)
    config.add_subscriber(register_localizers, ApplicationCreated)
