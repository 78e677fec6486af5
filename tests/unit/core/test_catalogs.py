"""Translation catalogs: all three complete, placeholders and markup intact, in step with the sources.

This is the guard for every new string: whoever adds one runs `make messages` and fills it in Chinese,
English and Uyghur, or these tests fail."""
import os
import re
from functools import cache

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.core.i18n import LOCALE_DIR

LANGS = ["zh_CN", "en", "ug"]
ROOT = os.path.dirname(os.path.dirname(LOCALE_DIR))
# %(n)s for Python, ${n} for TranslationString mappings, {n} for the scripts' own formatting.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\$\{\w+\}|(?<!\$)\{\w+\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
ARABIC = re.compile(r"[\u0600-\u06FF]")
HAN = re.compile(r"[\u4e00-\u9fff]")
# What a person in danger must be able to read in every language.
EMERGENCY = ["In danger? Contact the police now", "Call %(n)s (police)", "Call %(n)s (traffic accident)",
             "SMS %(n)s", "If you cannot call, text %(n)s:", "I need the police. Place: "]


def has_words(msgid) -> bool:
    """Not only placeholders, numbers and punctuation (those may read the same in every language)."""
    return bool(re.search(r"[A-Za-z]", PLACEHOLDER.sub("", msgid)))


@cache
def catalog(name):
    path = os.path.join(LOCALE_DIR, name) if name.endswith(".pot") else os.path.join(
        LOCALE_DIR, name, "LC_MESSAGES", "portal.po")
    with open(path, "rb") as handle:
        return read_po(handle)


def messages(cat):
    return {m.id: m for m in cat if m.id}


@cache
def extracted_now():
    """What `make messages` extracts from the sources today (babel.cfg, keyword `_` and the defaults)."""
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS, _=None)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_holds_every_string_of_the_sources(lang):
    missing = sorted(extracted_now() - set(messages(catalog(lang))))
    assert not missing, f"run `make messages` and translate: {missing[:10]}"


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_in_step_with_the_template(lang):
    assert set(messages(catalog(lang))) == set(messages(catalog("portal.pot"))), "run `make messages`"


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_translated_and_none_is_fuzzy(lang):
    empty = [msgid for msgid, m in messages(catalog(lang)).items() if not m.string]
    fuzzy = [msgid for msgid, m in messages(catalog(lang)).items() if m.fuzzy]
    assert not empty, f"{len(empty)} untranslated in {lang}, e.g. {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_and_markup_are_kept(lang):
    for msgid, message in messages(catalog(lang)).items():
        if not message.string:
            continue
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        assert sorted(TAG.findall(message.string)) == sorted(TAG.findall(msgid)), msgid


@pytest.mark.parametrize("lang, script", [("zh_CN", HAN), ("ug", ARABIC)])
def test_translations_are_in_the_language_of_the_catalog(lang, script):
    """A copied English msgid is not a translation: every entry with words has the language's script."""
    copied = [msgid for msgid, m in messages(catalog(lang)).items()
              if m.string and has_words(msgid) and not script.search(m.string)]
    assert not copied, f"{len(copied)} entries of {lang} are not in its script, e.g. {copied[:5]}"


def test_uyghur_covers_the_emergency_strings():
    ug = messages(catalog("ug"))
    for msgid in EMERGENCY:
        assert ARABIC.search(ug[msgid].string), msgid
