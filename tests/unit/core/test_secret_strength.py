"""Production start-up refuses published, mis-sized and low-entropy secrets (issue 10, finding 5);
development and tests keep their published values."""
import base64
import os
import secrets

import pytest
from pyramid.paster import get_appsettings

import portal
from portal.core.secret_strength import GENERATE_SECRET, weak_secrets
from portal.core.settings import SettingsError, apply_environment, check_settings
from portal.scripts.common import load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEVELOPMENT = get_appsettings(os.path.join(ROOT, "development.ini"))


def key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def strong() -> dict:
    return {
        "sqlalchemy.url": "postgresql+psycopg://portal@db/portal",
        "portal.production": "true",
        "portal.session_secret": secrets.token_urlsafe(48),
        "portal.field_keys": f"k2:{key(os.urandom(32))} k1:{key(os.urandom(32))}",
        "portal.field_key_id": "k2",
        "portal.receipt_pepper": secrets.token_urlsafe(48),
        "portal.media_dir": "/srv/media",
        "portal.audit_key": f"a1:{secrets.token_urlsafe(48)}",
        "portal.evidence_key": f"e1:{key(os.urandom(32))}",
        "portal.audit.checkpoint_file": "/srv/audit/checkpoints.jsonl",
        "portal.public_url": "https://safety.example.gov.cn",
    }


def refused(**changes) -> str:
    settings = dict(strong(), **changes)
    with pytest.raises(SettingsError) as caught:
        check_settings(settings)
    message = str(caught.value)
    for name, value in changes.items():  # the message never shows a secret
        if name != "portal.production" and len(value) >= 8:
            for part in value.split():
                assert part.partition(":")[2] not in message if ":" in part else part not in message
    return message


def test_a_strong_set_starts():
    for _ in range(20):  # random secrets pass every time, not by luck
        check_settings(strong())
        assert weak_secrets(strong()) == []


def test_token_hex_and_token_urlsafe_of_32_bytes_pass():
    check_settings(dict(strong(), **{"portal.session_secret": secrets.token_hex(32),
                                     "portal.receipt_pepper": secrets.token_urlsafe(32)}))


@pytest.mark.parametrize("name", ["portal.session_secret", "portal.receipt_pepper"])
def test_the_development_ini_secrets_are_refused(name):
    message = refused(**{name: DEVELOPMENT[name]})
    assert name in message and "published" in message
    assert GENERATE_SECRET in message


def test_the_development_ini_field_key_is_refused_under_any_id():
    dev_key = DEVELOPMENT["portal.field_keys"].split(":", 1)[1]
    message = refused(**{"portal.field_keys": f"prod:{dev_key}", "portal.field_key_id": "prod"})
    assert "portal.field_keys" in message and "'prod'" in message and "published" in message
    assert "urlsafe_b64encode(os.urandom(32))" in message  # how to make one


@pytest.mark.parametrize("value", [None, "", "DEVELOPMENT", "dev:ZGV2LW9ubHktZXZpZGVuY2Uta2V5LTMyLWJ5dGVzLTA"])
def test_production_refuses_a_missing_or_published_evidence_key(value):
    settings = strong()
    if value is None:
        del settings["portal.evidence_key"]
    else:
        settings["portal.evidence_key"] = DEVELOPMENT["portal.evidence_key"] if value == "DEVELOPMENT" else value
    with pytest.raises(SettingsError) as caught:
        check_settings(settings)
    message = str(caught.value)
    assert "portal.evidence_key" in message and "$PORTAL_EVIDENCE_KEY" in message
    assert ("holds no key" if not value else "published") in message
    assert "urlsafe_b64encode(os.urandom(32))" in message


def test_a_malformed_evidence_key_stops_start_up_also_in_development():
    with pytest.raises(SettingsError, match="portal.evidence_key: key 'e1' must be 32 bytes"):
        check_settings(dict(strong(), **{"portal.production": "false", "portal.evidence_key": "e1:c2hvcnQ"}))


def test_an_old_key_left_listed_is_refused_too():
    dev_key = DEVELOPMENT["portal.field_keys"].split(":", 1)[1]
    good = strong()
    message = refused(**{"portal.field_keys": good["portal.field_keys"] + f" dev1:{dev_key}"})
    assert "'dev1'" in message


def test_the_shipped_development_ini_marked_production_is_refused_on_every_secret():
    settings = apply_environment(dict(DEVELOPMENT, **{"portal.production": "true"}), {})
    with pytest.raises(SettingsError) as caught:
        check_settings(settings)
    message = str(caught.value)
    for name in ("portal.session_secret", "portal.receipt_pepper", "portal.field_keys"):
        assert name in message
    assert "$PORTAL_SESSION_SECRET" in message and "$PORTAL_FIELD_KEYS" in message


@pytest.mark.parametrize("raw, problem", [
    (bytes(32), "repeated"),
    (b"\x41" * 32, "repeated"),
    (os.urandom(16), "16 bytes, not 32"),
    (os.urandom(48), "48 bytes, not 32"),
    (b"correct horse battery staple!!!!", "not random"),
    (bytes(range(8)) * 4, "not random"),
])
def test_bad_field_keys_are_refused(raw, problem):
    message = refused(**{"portal.field_keys": f"k2:{key(raw)}"})
    assert "portal.field_keys" in message and problem in message


def test_a_field_key_that_is_not_base64_is_refused():
    assert "base64" in refused(**{"portal.field_keys": "k2:not*base64!"})


@pytest.mark.parametrize("value, problem", [
    ("x" * 64, "repeated"),
    ("ab" * 32, "repeated"),
    ("Tr0ub4dor&3", "shorter than 32"),
    ("0123456789" + secrets.token_urlsafe(40), "consecutive"),
    ("aAbBcC" * 3 + "abAB" * 6 + "cCbA", "too few different characters"),
    ("dev-only-" + secrets.token_urlsafe(40), "published"),
])
@pytest.mark.parametrize("name", ["portal.session_secret", "portal.receipt_pepper"])
def test_weak_text_secrets_are_refused(name, value, problem):
    message = refused(**{name: value})
    assert name in message and problem in message


def test_a_secret_setting_added_later_is_checked_by_its_name():
    message = refused(**{"portal.audit.hmac_key": "z" * 40})
    assert "portal.audit.hmac_key" in message


def test_development_and_tests_keep_the_published_values(app_settings):
    check_settings(apply_environment(dict(DEVELOPMENT), {}))
    check_settings(dict(app_settings))


def test_the_app_factory_refuses_to_start(app_settings):
    with pytest.raises(SettingsError, match="portal.session_secret"):
        portal.main({}, **dict(app_settings, **{"portal.production": "true"}))


def test_console_scripts_refuse_too(tmp_path):
    lines = "\n".join(f"{k} = {v}" for k, v in DEVELOPMENT.items()
                      if k.startswith(("portal.", "sqlalchemy.")) and k != "portal.production")
    ini = tmp_path / "prod.ini"
    ini.write_text(f"[app:main]\nuse = egg:safety-portal\nportal.production = true\n{lines}\n")
    with pytest.raises(SettingsError, match="portal.receipt_pepper"):
        load_settings(str(ini))


@pytest.mark.parametrize("audit_key", ["dev1:dev-only-audit-key-0123456789abcdef0123456789",
                                       "a1:" + "x" * 48, "a1:short-secret"])
def test_a_published_or_weak_audit_key_is_refused(audit_key):
    assert "portal.audit_key" in refused(**{"portal.audit_key": audit_key})
