"""Settings: the .ini file, then environment variables (for secrets in production)."""
from pyramid.settings import asbool

# Environment variable -> setting. Production keeps every secret out of the .ini file.
ENVIRONMENT = {
    "PORTAL_DATABASE_URL": "sqlalchemy.url",
    "PORTAL_SESSION_SECRET": "portal.session_secret",
    "PORTAL_FIELD_KEYS": "portal.field_keys",
    "PORTAL_FIELD_KEY_ID": "portal.field_key_id",
    "PORTAL_RECEIPT_PEPPER": "portal.receipt_pepper",
    "PORTAL_MEDIA_DIR": "portal.media_dir",
}

REQUIRED = (
    "sqlalchemy.url",
    "portal.session_secret",
    "portal.field_keys",
    "portal.field_key_id",
    "portal.receipt_pepper",
    "portal.media_dir",
)

DEFAULTS = {
    "portal.fallback.police": "110",
    "portal.fallback.traffic": "122",
    "portal.fallback.sms": "12110",
    "portal.default_locale": "zh_CN",
    "portal.login.max_failures": "5",
    "portal.login.lockout_minutes": "15",
    "portal.login.rate_per_minute": "20",
    "portal.receipt.rate_per_hour": "20",
    "portal.sighting.rate_per_hour": "20",
    "portal.missing.rate_per_hour": "10",
    # Alarms are never refused: past this many per hour from one address they are flagged as a flood.
    "portal.alarm.flood_per_hour": "10",
    # Where the alarm page's one-tap "leave" goes: somewhere harmless that says nothing about the police.
    "portal.alarm.leave_url": "https://www.baidu.com/",
    "portal.embed_frame_ancestors": "'self'",
    "portal.page_size": "20",
    "portal.max_form_bytes": str(256 * 1024),
    # Rendered public pages live this long at most; changes reach every server within the check interval.
    "portal.page_cache_seconds": "60",
    "portal.page_cache_check_seconds": "1",
    "portal.page_cache_entries": "5000",
    "portal.outbox.sender": "log",  # or the dotted path of an SMS/e-mail gateway class (services/outbox.py)
    "portal.outbox.max_attempts": "8",
    "portal.trip.rate_per_hour": "10",  # trips one address may start per hour
    "portal.trip.escalate_minutes": "15",  # an overdue trip nobody answered raises an alarm after this
    "portal.trip.retention_days": "7",  # track points and photos of ended trips are deleted after this
    "portal.trip.expire_hours": "24",  # an active trip silent this long past its arrival time expires
    # Retention (README, "Retention"): days after a matter ended before its personal data is removed by
    # the worker, in batches of at most `batch` rows per kind and round.
    "portal.retention.alarm_days": "90",  # closed or cancelled alarms: thread, photos, track, place, contact
    "portal.retention.tip_days": "180",  # closed tips: the reporter's contact and files
    "portal.retention.sighting_days": "90",  # reviewed sightings, or those on a notice that closed
    "portal.retention.missing_days": "90",  # resolved, rejected or withdrawn family requests
    "portal.retention.outbox_days": "30",  # sent (or abandoned) SMS and e-mail
    "portal.retention.batch": "200",
    # Tips (issue 4): limits stated on the form, enforced while the upload streams in.
    "portal.tip.rate_per_hour": "10",  # tips one address may send per hour (with proof of work)
    "portal.tip.nojs_rate_per_hour": "3",  # ... and without it (a browser without JavaScript)
    "portal.tip.reply_rate_per_hour": "30",  # /status replies per address and per receipt
    "portal.tip.upload_rate_per_hour": "30",  # POSTs to /tips/new and /status/reply per address, counted unread
    "portal.tip.max_files": "10",
    "portal.tip.max_photo_mb": "15",
    "portal.tip.max_video_mb": "250",
    "portal.tip.max_audio_mb": "50",
    "portal.tip.max_total_mb": "300",  # the whole request body
    "portal.tip.old_capture_hours": "24",  # a photo shot longer before its upload is flagged
    # Proof of work instead of a CAPTCHA: leading zero bits a browser must find; without JavaScript
    # the form must have been open this long instead (and the stricter no-JS limit applies).
    "portal.pow.bits": "16",
    "portal.pow.min_fill_seconds": "3",
    "portal.ratelimit.backend": "memory",  # or "redis" for several servers
    "portal.ratelimit.redis_url": "redis://127.0.0.1:6379/0",
    "portal.cap_sender": "",  # CAP <sender>; empty: safety-portal@<the site's host name>
    "jinja2.directories": "portal:../templates",
    "jinja2.i18n.domain": "portal",
    "jinja2.newstyle": "true",
    "jinja2.autoescape": "true",
    "jinja2.filters": "\n".join(
        [
            "route_url = pyramid_jinja2.filters:route_url_filter",
            "static_url = pyramid_jinja2.filters:static_url_filter",
            "local_time = portal.core.localtime:local_time",
        ]
    ),
}


class SettingsError(Exception):
    pass


def apply_environment(settings: dict, environ) -> dict:
    merged = dict(DEFAULTS)
    merged.update(settings)
    for variable, key in ENVIRONMENT.items():
        if environ.get(variable):
            merged[key] = environ[variable]
    return merged


def check_settings(settings: dict) -> None:
    missing = [key for key in REQUIRED if not str(settings.get(key, "")).strip()]
    if missing:
        names = {v: k for k, v in ENVIRONMENT.items()}
        raise SettingsError(
            "missing settings: "
            + ", ".join(f"{key} (or ${names[key]})" if key in names else key for key in missing)
        )
    if len(settings["portal.session_secret"]) < 32:
        raise SettingsError("portal.session_secret must be at least 32 characters")
    if asbool(settings.get("portal.production", False)) and "dev-only" in (
        settings["portal.session_secret"] + settings["portal.receipt_pepper"]
    ):
        raise SettingsError("production refuses the development secrets; set them from the environment")
