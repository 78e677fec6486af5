import os

import pytest

from portal.core import i18n
from portal.core.settings import SettingsError, apply_environment, check_settings
from tests.unit.core.test_secret_strength import strong

GOOD = {
    "sqlalchemy.url": "sqlite://",
    "portal.session_secret": "x" * 40,
    "portal.field_keys": "k:abc",
    "portal.field_key_id": "k",
    "portal.receipt_pepper": "p" * 20,
    "portal.media_dir": "/tmp",
    "portal.audit_key": "a1:" + "k" * 40,
}


def test_environment_overrides_the_ini():
    merged = apply_environment(dict(GOOD), {"PORTAL_DATABASE_URL": "postgresql://db/portal"})
    assert merged["sqlalchemy.url"] == "postgresql://db/portal"
    assert merged["portal.fallback.police"] == "110"  # defaults fill the rest


def test_per_host_addresses_come_from_the_environment_too():
    """One production.ini for every host: the Redis URL (it may carry a password), the TURN and STUN
    servers and the proxies to purge can each be set where the secrets are."""
    environ = {"PORTAL_REDIS_URL": "redis://:pw@10.0.0.5:6379/0", "PORTAL_TURN_URLS": "turn:t.example:3478",
               "PORTAL_STUN_URLS": "stun:t.example:3478", "PORTAL_PURGE_URLS": "http://10.0.0.7:6081/"}
    merged = apply_environment(dict(GOOD, **{"portal.ratelimit.redis_url": "redis://127.0.0.1:6379/0"}), environ)
    assert (merged["portal.ratelimit.redis_url"], merged["portal.call.turn_urls"], merged["portal.call.stun_urls"],
            merged["portal.proxy.purge_urls"]) == tuple(environ.values())


def test_missing_secrets_name_the_environment_variable():
    with pytest.raises(SettingsError, match=r"PORTAL_SESSION_SECRET"):
        check_settings(dict(GOOD, **{"portal.session_secret": ""}))


def test_production_refuses_development_secrets():
    settings = dict(GOOD, **{"portal.production": "true", "portal.session_secret": "dev-only-" + "x" * 40})
    with pytest.raises(SettingsError, match="session_secret .* is a published development"):
        check_settings(settings)


def test_the_audit_key_comes_from_the_environment_and_production_refuses_the_development_one():
    merged = apply_environment(dict(GOOD), {"PORTAL_AUDIT_KEY": "a2:" + "e" * 40,
                                            "PORTAL_AUDIT_CHECKPOINT_FILE": "/var/log/portal/cp.jsonl"})
    assert merged["portal.audit_key"] == "a2:" + "e" * 40
    assert merged["portal.audit.checkpoint_file"] == "/var/log/portal/cp.jsonl"
    with pytest.raises(SettingsError, match="PORTAL_AUDIT_KEY"):
        check_settings(dict(GOOD, **{"portal.audit_key": ""}))
    production = strong()  # production refuses weak secrets before it looks at the audit settings
    check_settings(production)
    with pytest.raises(SettingsError, match="portal.audit_key"):
        check_settings(dict(production, **{"portal.audit_key": "dev1:dev-only-audit-key-0123456789abcdef0123456789"}))
    with pytest.raises(SettingsError, match="PORTAL_AUDIT_CHECKPOINT_FILE"):
        check_settings(dict(production, **{"portal.audit.checkpoint_file": ""}))


def test_the_shipped_production_ini_cannot_start_without_environment_secrets():
    from pyramid.paster import get_appsettings

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    settings = apply_environment(get_appsettings(os.path.join(root, "production.ini")), {})
    with pytest.raises(SettingsError, match="missing settings"):
        check_settings(settings)


def test_catalogs_compile_and_every_language_has_one(tmp_path):
    import shutil

    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    for mo in target.rglob("*.mo"):
        mo.unlink()
    compiled = i18n.compile_catalogs(str(target))
    assert {os.path.basename(os.path.dirname(os.path.dirname(p))) for p in compiled} >= {"zh_CN", "en", "ug"}
    assert i18n.compile_catalogs(str(target)) == []  # up to date: nothing to redo


def test_colander_messages_are_chinese_on_the_chinese_site(tmp_path):
    """Colander ships zh_Hans, Pyramid looks for zh_CN: compile_catalogs bridges the two."""
    import colander
    from pyramid.i18n import make_localizer

    from portal.core.i18n import compile_catalogs

    (tmp_path / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    compile_catalogs(str(tmp_path))
    localizer = make_localizer("zh_CN", [str(tmp_path)])
    assert localizer.translate(colander._("Required")) == "必需"


def test_the_second_factor_may_be_relaxed_for_a_demo_but_never_in_production():
    check_settings(dict(GOOD, **{"portal.totp.required_for": "admin"}))
    with pytest.raises(SettingsError, match="reveal or admin"):
        check_settings(dict(GOOD, **{"portal.totp.required_for": "nobody"}))
    with pytest.raises(SettingsError, match="production requires portal.totp.required_for = reveal"):
        check_settings(dict(strong(), **{"portal.totp.required_for": "admin"}))
    assert apply_environment(dict(GOOD), {})["portal.totp.required_for"] == "reveal"  # strict by default
