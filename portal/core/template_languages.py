"""Templates compiled once per language, each `_("literal")` already translated in the compiled code.

A page's `_("...")` without keywords (about two thirds of them) gives the same Markup on every page in a
language: the catalogs never change while the process runs. core/template_gettext.py made each of those
calls cheap; here they cost nothing. Each language gets an overlay of the `.html` environment (sharing
its loader, globals and filters, with a template cache of its own and no bytecode cache, which is keyed
by the source alone) whose `TranslatedLiterals` extension rewrites `_("literal")` while the template is
lexed into `("translation"|safe)`. Jinja2's optimizer evaluates that while compiling, so the text is
written into the template's code as constant output, like the HTML around it.

The result is exactly what core/template_gettext.gettext returns at run time, `Markup(translation) % {}`
("%%" read as "%"). A call with keywords, a variable, `x._("...")` or a translation that does not format
without keywords is left to run as before. The renderer (core/template_lookup.py) picks the request's
language's environment; a language without one, templates loaded by name elsewhere (Deform's widgets,
the chrome memo) and development's reloading renderer use the shared environment and its run-time `_()`."""
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup
from pyramid.interfaces import ILocalizer

from .i18n import LANGUAGES

TEMPLATE_CACHE_SIZE = 800  # per language; templates/ holds about 250


def translated_literal(localizer, domain: str, message: str):
    """`_(message)`'s Markup as gettext would make it, or None when only the run-time call can say."""
    try:
        return Markup(localizer.translate(message, domain=domain)) % {}  # noqa: S704 -- our catalogs
    except (KeyError, ValueError, TypeError):  # a placeholder needing keywords, or a stray "%"
        return None


class TranslatedLiterals(Extension):
    """On a language's environment (see the module): `_("literal")` becomes `("translation"|safe)`."""

    def filter_stream(self, stream):
        localizer = getattr(self.environment, "portal_localizer", None)
        if localizer is None:
            return stream
        return self._fold(list(stream), localizer, self.environment.globals["portal_i18n_domain"])

    @staticmethod
    def _fold(tokens, localizer, domain):
        index, previous = 0, None
        while index < len(tokens):
            token = tokens[index]
            call = tokens[index:index + 4]
            if (token.type == "name" and token.value == "_" and (previous is None or previous.type != "dot")
                    and [t.type for t in call] == ["name", "lparen", "string", "rparen"]):
                text = translated_literal(localizer, domain, call[2].value)
                if text is not None:
                    line = token.lineno
                    yield from (Token(line, "lparen", "("), Token(line, "string", str(text)),
                                Token(line, "pipe", "|"), Token(line, "name", "safe"), Token(line, "rparen", ")"))
                    previous, index = call[3], index + 4
                    continue
            yield token
            previous, index = token, index + 1


class LanguageEnvironments:
    """The `.html` environment's overlay per language, made once at start-up."""

    def __init__(self, environment, registry):
        self.shared = environment
        self.by_language = {}
        for code in LANGUAGES:
            localizer = registry.queryUtility(ILocalizer, name=code)
            if localizer is None:
                continue
            overlay = environment.overlay(extensions=[TranslatedLiterals], cache_size=TEMPLATE_CACHE_SIZE,
                                          bytecode_cache=None)
            overlay.portal_localizer = localizer
            self.by_language[code] = overlay

    def for_request(self, request):
        localizer = getattr(request, "localizer", None)
        return self.by_language.get(getattr(localizer, "locale_name", None), self.shared)
