"""Templates compiled once per language, each `_("literal")` already translated in the compiled code.

A page's `_("...")` without keywords (about two thirds of them) gives the same Markup on every page in a
language: the catalogs never change while the process runs. core/template_gettext.py made each of those
calls cheap; here they cost nothing. Each language gets an overlay of the `.html` environment (sharing
its loader, globals and filters, with a template cache of its own and no bytecode cache, which is keyed
by the source alone) whose `TranslatedLiterals` extension rewrites `_("literal")` while the template is
lexed into `("translation"|safe)`. Jinja2's optimizer evaluates that while compiling, so the text is
written into the template's code as constant output, like the HTML around it.

The result is exactly what core/template_gettext.gettext returns at run time, `Markup(translation) % {}`
("%%" read as "%"). A call with keywords keeps only the formatting for the page: `Markup(translation)`
is made while compiling and `% {"name": value}` (which escapes the values, as gettext's does) runs per
page. A variable, `x._("...")`, `*args` or `**kwargs`, or a translation that does not format without
keywords is left to the run-time call. The renderer (core/template_lookup.py) picks the request's
language's environment; a language without one, templates loaded by name elsewhere (Deform's widgets,
the chrome memo) and development's reloading renderer use the shared environment and its run-time `_()`."""
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup
from pyramid.interfaces import ILocalizer

from .i18n import LANGUAGES

TEMPLATE_CACHE_SIZE = 800  # per language; templates/ holds about 250


OPENING, CLOSING = {"lparen", "lbracket", "lbrace"}, {"rparen", "rbracket", "rbrace"}


def translated_literal(localizer, domain: str, message: str):
    """`_(message)`'s Markup as gettext would make it, or None when only the run-time call can say."""
    try:
        return Markup(localizer.translate(message, domain=domain)) % {}  # noqa: S704 -- our catalogs
    except (KeyError, ValueError, TypeError):  # a placeholder needing keywords, or a stray "%"
        return None


def keyword_arguments(tokens, index):
    """The `name=expression` arguments from `index` (just after `_("literal"`) to the call's closing
    parenthesis, and the index after it; None for anything else (`*args`, `**kwargs`, a name given twice,
    a call that does not close), which is left to the run-time call."""
    arguments, segment, depth = [], [], 0
    if index >= len(tokens) or tokens[index].type != "comma":
        return None
    index += 1
    while index < len(tokens):
        token = tokens[index]
        if token.type in ("eof", "variable_end", "block_end"):
            return None
        if depth == 0 and token.type in ("comma", "rparen"):
            if segment:
                if len(segment) < 3 or segment[0].type != "name" or segment[1].type != "assign":
                    return None
                arguments.append((segment[0].value, segment[2:]))
                segment = []
            if token.type == "rparen":
                names = [name for name, _expression in arguments]
                return (arguments, index + 1) if len(set(names)) == len(names) else None
        else:
            depth += (token.type in OPENING) - (token.type in CLOSING)
            segment.append(token)
        index += 1
    return None


class TranslatedLiterals(Extension):
    """On a language's environment (see the module): `_("literal")` becomes `("translation"|safe)`, and
    `_("literal", name=expression, ...)` becomes `(("translation"|safe) % {"name": (expression), ...})`,
    the format gettext applies (Markup's, which escapes the values) left to run."""

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
            if (token.type == "name" and token.value == "_" and (previous is None or previous.type != "dot")
                    and [t.type for t in tokens[index + 1:index + 3]] == ["lparen", "string"]):
                folded = _folded_call(tokens, index, localizer, domain)
                if folded is not None:
                    replacement, index = folded
                    yield from replacement
                    previous = tokens[index - 1]
                    continue
            yield token
            previous, index = token, index + 1


def _folded_call(tokens, index, localizer, domain):
    """The tokens replacing the call `_("literal"...)` at `index` and the index after it, or None."""
    line, message = tokens[index].lineno, tokens[index + 2].value

    def tok(kind, value):
        return Token(line, kind, value)

    if index + 3 < len(tokens) and tokens[index + 3].type == "rparen":
        text = translated_literal(localizer, domain, message)
        if text is None:
            return None
        return [tok("lparen", "("), tok("string", str(text)), tok("pipe", "|"), tok("name", "safe"),
                tok("rparen", ")")], index + 4
    parsed = keyword_arguments(tokens, index + 3)
    if parsed is None:
        return None
    arguments, after = parsed
    folded = [tok("lparen", "("), tok("lparen", "("), tok("string", localizer.translate(message, domain=domain)),
              tok("pipe", "|"), tok("name", "safe"), tok("rparen", ")"), tok("mod", "%"), tok("lbrace", "{")]
    for name, expression in arguments:
        folded += [tok("string", name), tok("colon", ":"), tok("lparen", "("), *expression, tok("rparen", ")"),
                   tok("comma", ",")]
    return folded + [tok("rbrace", "}"), tok("rparen", ")")], after


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
