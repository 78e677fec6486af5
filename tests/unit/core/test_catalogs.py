"""Translation catalogs: complete for Chinese, placeholders intact, in step with the templates."""
import os
import re

import pytest
from babel.messages.pofile import read_po

from portal.core.i18n import LOCALE_DIR

PLACEHOLDER = re.compile(r"%\(\w+\)s|\$\{\w+\}")
# What a person in danger must be able to read in every language.
EMERGENCY = ["In danger? Contact the police now", "Call %(n)s (police)", "Call %(n)s (traffic accident)",
             "SMS %(n)s", "If you cannot call, text %(n)s:", "I need the police. Place: "]


def catalog(name):
    path = os.path.join(LOCALE_DIR, name) if name.endswith(".pot") else os.path.join(
        LOCALE_DIR, name, "LC_MESSAGES", "portal.po")
    with open(path, "rb") as handle:
        return read_po(handle)


def messages(cat):
    return {m.id: m for m in cat if m.id}


@pytest.mark.parametrize("lang", ["zh_CN", "en", "ug"])
def test_catalog_is_in_step_with_the_templates(lang):
    assert set(messages(catalog(lang))) == set(messages(catalog("portal.pot"))), "run `make messages`"


def test_chinese_translates_everything_with_placeholders_intact():
    for msgid, message in messages(catalog("zh_CN")).items():
        assert message.string, f"untranslated: {msgid}"
        assert not message.fuzzy, msgid
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_uyghur_covers_the_emergency_strings_and_keeps_placeholders():
    ug = messages(catalog("ug"))
    for msgid in EMERGENCY:
        assert ug[msgid].string, msgid
    for msgid, message in ug.items():
        if message.string:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid
