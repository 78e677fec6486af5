"""Settings: the .ini file, then environment variables (for secrets in production)."""
from urllib.parse import urlsplit

from pyramid.settings import asbool

from portal.core import evidence_keys
from portal.core.paths import TEMPLATES_DIR
from portal.core.secret_strength import GENERATE_SECRET, is_production, weak_secrets

# Environment variable -> setting. Production keeps every secret out of the .ini file.
ENVIRONMENT = {
    "PORTAL_DATABASE_URL": "sqlalchemy.url",
    "PORTAL_SESSION_SECRET": "portal.session_secret",
    "PORTAL_FIELD_KEYS": "portal.field_keys",
    "PORTAL_FIELD_KEY_ID": "portal.field_key_id",
    "PORTAL_RECEIPT_PEPPER": "portal.receipt_pepper",
    "PORTAL_MEDIA_DIR": "portal.media_dir",
    "PORTAL_PUBLIC_URL": "portal.public_url",
    "PORTAL_AUDIT_KEY": "portal.audit_key",
    "PORTAL_AUDIT_CHECKPOINT_FILE": "portal.audit.checkpoint_file",
    "PORTAL_TURN_SECRET": "portal.call.turn_secret",
    # The outbox's gateways (outbox/senders): keys and passwords only from the environment in production.
    "PORTAL_SMS_HTTP_AUTH": "portal.sms.http.auth_value",
    "PORTAL_SMS_TENCENT_SECRET_ID": "portal.sms.tencent.secret_id",
    "PORTAL_SMS_TENCENT_SECRET_KEY": "portal.sms.tencent.secret_key",
    "PORTAL_SMTP_PASSWORD": "portal.smtp.password",
    "PORTAL_EVIDENCE_KEY": "portal.evidence_key",
    # The media bucket (portal.media.backend = s3, media/backends.py): its keys only from the environment.
    "PORTAL_S3_ENDPOINT": "portal.media.s3.endpoint",
    "PORTAL_S3_BUCKET": "portal.media.s3.bucket",
    "PORTAL_S3_ACCESS_KEY": "portal.media.s3.access_key",
    "PORTAL_S3_SECRET_KEY": "portal.media.s3.secret_key",
    # Addresses that differ per host (and a Redis URL may carry its password): set them where the
    # secrets are set, so one production.ini serves every host.
    "PORTAL_REDIS_URL": "portal.ratelimit.redis_url",
    "PORTAL_TURN_URLS": "portal.call.turn_urls",
    "PORTAL_STUN_URLS": "portal.call.stun_urls",
    "PORTAL_PURGE_URLS": "portal.proxy.purge_urls",
}

REQUIRED = (
    "sqlalchemy.url",
    "portal.session_secret",
    "portal.field_keys",
    "portal.field_key_id",
    "portal.receipt_pepper",
    "portal.media_dir",
    "portal.audit_key",
)

DEFAULTS = {
    # true in production.ini: weak or published secrets stop start-up (core/secret_strength.py).
    "portal.production": "false",
    "portal.fallback.police": "110",
    "portal.fallback.traffic": "122",
    "portal.fallback.sms": "12110",
    "portal.default_locale": "zh_CN",
    # Sign-in throttling (accounts/throttle.py): failures per username before it is slowed down, the
    # first wait (doubled per further failure) and the longest; failures per address and hour.
    "portal.session_timeout": str(8 * 3600),  # seconds of inactivity that end a session
    "portal.login.max_failures": "5",
    "portal.login.backoff_seconds": "30",
    "portal.login.lockout_minutes": "15",
    "portal.login.address_failures_per_hour": "20",
    "portal.login.rate_per_minute": "20",
    # Who must sign in with a second factor: "reveal" (every role that can see protected fields, and
    # administrators) or "admin" (administrators only: a local demo only; production refuses it).
    "portal.totp.required_for": "reveal",
    # /status: wrong codes free per address and per code prefix (an hour), then a wait from the first
    # delay doubling to the longest, paid by proof of work at a phone's hashes per second or by waiting.
    "portal.receipt.free_wrong_per_address": "10",
    "portal.receipt.free_wrong_per_prefix": "5",
    "portal.receipt.first_delay_seconds": "2",
    "portal.receipt.max_delay_seconds": "300",
    "portal.receipt.hashes_per_second": "100000",
    "portal.reward.codes_per_hour": "20",  # receipt codes one cashier may try at the counter
    "portal.sighting.rate_per_hour": "20",
    "portal.sighting.reply_rate_per_hour": "30",  # /status answers to the police per address and per receipt
    "portal.missing.rate_per_hour": "10",
    # Alarms are never refused: past this many per hour from one address they are flagged as a flood.
    "portal.alarm.flood_per_hour": "10",
    # Where the alarm page's one-tap "leave" goes: somewhere harmless that says nothing about the police.
    "portal.alarm.leave_url": "https://www.baidu.com/",
    # Calls (video, silent video, voice; portal/calls): ICE servers (calls/ice.py), how long the caller's
    # page waits before it says honestly that nobody answered yet or that the media did not connect, the
    # signal polls' longest wait and how many may wait at once per process (the others answer at once),
    # and when a call whose caller's page went silent is ended by the worker.
    "portal.call.stun_urls": "",
    "portal.call.turn_urls": "",
    "portal.call.turn_secret": "",
    "portal.call.turn_ttl": "3600",
    "portal.call.relay_only": "false",
    "portal.call.ring_timeout_seconds": "60",
    "portal.call.connect_timeout_seconds": "20",
    "portal.call.long_poll_seconds": "8",
    "portal.call.long_poll_slots": "3",
    "portal.call.gone_seconds": "60",
    # The caller's recording (calls/recording.py): the largest chunk one POST may carry (MB; also the
    # body limit, core/headers.py), the bytes all recordings of one alarm may hold (MB), how long one
    # recording may run, how many one alarm may start, how long after the alarm ended its page may
    # still upload, when an open recording whose page went silent is made final by the worker, and how
    # long a dispatcher's stated reason lets them play a recording.
    "portal.call.recording_chunk_mb": "2",
    "portal.call.recording_max_mb": "300",
    "portal.call.recording_max_minutes": "60",
    "portal.call.recording_max_per_alarm": "20",
    "portal.call.recording_grace_minutes": "30",
    "portal.call.recording_idle_minutes": "60",
    "portal.call.recording_view_minutes": "30",
    # A dispatcher's invitation to share (instant on scene): how long its link can be used, and how many
    # one dispatcher may send per hour (each is an SMS to a stranger's phone).
    "portal.call.invitation_minutes": "30",
    "portal.call.invitations_per_hour": "30",
    # A PostgreSQL connection idle for longer than this is pinged before use (core/db_liveness.py).
    "portal.db.ping_after_idle_seconds": "30",
    # Anonymous GETs of the public pages read on connections in autocommit that refuse writes (core/read_only.py).
    "portal.db.read_only_public_pages": "true",
    "portal.embed_frame_ancestors": "'self'",
    # The maps' tiles (README, "Maps"): an XYZ URL template ({z}/{x}/{y}, {s} for portal.map.subdomains),
    # e.g. Tianditu with its key, and the attribution its licence asks for. Empty: the portal's own base
    # map of the units' areas (geo/basemap.py), drawn and cached under portal.map.tile_cache_dir (empty:
    # <media_dir>/.map-tiles). The template's origin joins the CSP's img-src by itself.
    "portal.map.tiles": "",
    "portal.map.attribution": "",
    "portal.map.labels": "",  # a second XYZ template drawn over the first: the names (Tianditu's cva_w)
    "portal.map.subdomains": "",
    "portal.map.max_zoom": "18",
    "portal.map.tile_cache_dir": "",
    "portal.page_size": "20",
    "portal.max_form_bytes": str(256 * 1024),
    # HTTP caching by a shared proxy (core/caching.py) and its tag purges (outbox/purges.py).
    "portal.cache.max_age": "30",
    "portal.cache.s_maxage": "86400",
    "portal.cache.stale_while_revalidate": "30",
    "portal.cache.stale_if_error": "86400",  # served that long past its TTL while no app server answers
    "portal.cache.tag_header": "xkey",
    "portal.proxy.purger": "log",  # varnish: PURGE with xkey-purge to each of portal.proxy.purge_urls
    "portal.proxy.purge_urls": "",
    "portal.proxy.purge_timeout": "2",
    "portal.proxy.purge_repeat_seconds": "10",
    # portal-warm-proxy: requests at once per proxy (the app servers keep serving visitors), and its budget.
    "portal.proxy.warm_concurrency": "2",
    "portal.proxy.warm_max_seconds": "3600",
    "portal.outbox.sender": "log",  # or the dotted path of an SMS/e-mail gateway class (services/outbox.py)
    "portal.outbox.max_attempts": "8",
    # "Tell me when something changes": at most one message per tip or request per this many minutes.
    "portal.notify.interval_minutes": "30",
    # Verified phones (README, "Verified phones"): off | optional | required, for tips, sightings and
    # family requests; codes asked for per address and per number, code checks per address, per hour.
    "portal.verified_phone": "off",
    "portal.phones.sends_per_hour": "10",
    "portal.phones.sends_per_number_per_hour": "3",
    "portal.phones.checks_per_hour": "30",
    "portal.phones.international": "false",  # codes to mainland mobile numbers only (README, "Verified phones")
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
    "portal.tip.photo_distance_km": "5",  # ... or whose own GPS is farther than this from the stated place
    # A part of an upload older than this is removed by the worker even if its process lives (the
    # parts of dead processes go at every start and every worker round): longer than any upload takes.
    "portal.upload.stale_minutes": "120",
    # portal-worker (scripts/worker.py, core/worker_state.py): how long a job stays leased to the worker
    # that took it (another takes it up after that if the first died), and how long without a finished
    # round before /readyz answers 503 (0: not checked).
    "portal.worker.lease_seconds": "900",
    "portal.worker.silence_limit_seconds": "300",
    # Resumable uploads (README, "Resumable uploads"): the browser's chunk (also the largest PATCH
    # body taken), how long an upload unfinished or not yet sent with its form is kept, and how many
    # photos for the photo-only forms one address may start per hour (tip files count against
    # portal.tip.upload_rate_per_hour, like the multipart form).
    "portal.upload.resumable_chunk_mb": "4",
    "portal.upload.resumable_expire_hours": "24",
    "portal.upload.photo_rate_per_hour": "60",
    # Staff copies of video and sound (media/transcode.py): ffmpeg's limits per run (CPU seconds, address
    # space, largest file written, wall clock), attempts before a copy is failed, a worker round's budget.
    "portal.transcode.ffmpeg": "",  # empty: ffmpeg on PATH
    "portal.transcode.ffprobe": "",  # empty: ffprobe on PATH
    "portal.transcode.cpu_seconds": "1800",
    "portal.transcode.memory_mb": "1536",
    "portal.transcode.wall_seconds": "2400",
    "portal.transcode.output_mb": "1024",  # 2.5 Mbit/s at most: 55 minutes of video
    "portal.transcode.max_attempts": "3",
    "portal.transcode.round_seconds": "120",
    # Proof of work instead of a CAPTCHA: leading zero bits a browser must find; without JavaScript
    # the form must have been open this long instead (and the stricter no-JS limit applies).
    "portal.pow.bits": "16",
    "portal.pow.min_fill_seconds": "3",
    "portal.ratelimit.backend": "memory",  # or "redis" for several servers
    # Media files (media/backends.py): "local" (under portal.media_dir) or "s3" (a private bucket of an
    # S3-compatible store: AWS, MinIO, SeaweedFS, Ceph...); the endpoint is empty for AWS itself.
    "portal.media.backend": "local",
    "portal.media.s3.endpoint": "",
    "portal.media.s3.region": "us-east-1",
    "portal.media.s3.bucket": "",
    "portal.media.s3.access_key": "",
    "portal.media.s3.secret_key": "",
    "portal.ratelimit.redis_url": "redis://127.0.0.1:6379/0",
    # The one base of every absolute link (core/links.py); required in production.
    "portal.public_url": "",
    "portal.cap_sender": "",  # CAP <sender>; empty: safety-portal@<the host name of portal.public_url>
    # A CAP Cancel (retracted, expired, resolved notice) stays in the CAP feed this long.
    "portal.cap.cancel_days": "7",
    # <expires> of an alert whose notice has no expiry time: this long after it was sent; a notice still
    # public then gets a fresh Update with the next period (consumers never hold a stale or lapsed alert).
    "portal.cap.expires_days": "30",
    # The audit log's anchor outside the database (audit/checkpoints.py): where the worker appends a signed
    # checkpoint, how often, and an e-mail address of a remote collector that gets each one through the outbox.
    "portal.audit.checkpoint_file": "",
    "portal.audit.checkpoint_seconds": "60",
    "portal.audit.checkpoint_outbox_to": "",
    "jinja2.directories": str(TEMPLATES_DIR),  # core/paths.py: a checkout or a wheel
    "jinja2.i18n.domain": "portal",
    "jinja2.newstyle": "true",
    "jinja2.autoescape": "true",
    "jinja2.filters": "\n".join(
        [
            "route_url = pyramid_jinja2.filters:route_url_filter",
            "static_url = pyramid_jinja2.filters:static_url_filter",
            "local_time = portal.core.localtime:local_time",
            "machine_time = portal.core.localtime:machine_time",
            "ltr = portal.core.i18n:ltr",
            "history_line = portal.audit.sentences:history_line",
            "alarm_flag = portal.audit.sentences:alarm_flag",
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
        raise SettingsError(
            f"portal.session_secret is shorter than 32 characters; generate one with: {GENERATE_SECRET}")
    check_production_secrets(settings)
    try:
        evidence_keys.parse(str(settings.get(evidence_keys.SETTING, "") or "").strip() or evidence_keys.DEVELOPMENT_KEY)
    except evidence_keys.EvidenceKeyError as error:
        raise SettingsError(str(error)) from None
    turn_secret = str(settings.get("portal.call.turn_secret", ""))
    if str(settings.get("portal.call.turn_urls", "")).strip() and len(turn_secret) < 32:
        raise SettingsError("portal.call.turn_urls needs portal.call.turn_secret (coturn's static-auth-secret, at "
                            f"least 32 characters; generate one with: {GENERATE_SECRET})")
    required_for = str(settings.get("portal.totp.required_for", "reveal")).strip()
    if required_for not in ("reveal", "admin"):
        raise SettingsError(f"portal.totp.required_for must be reveal or admin, not {required_for!r}")
    if is_production(settings) and required_for != "reveal":
        raise SettingsError("production requires portal.totp.required_for = reveal: every officer who can "
                            "see protected fields signs in with a second factor")
    check_public_url(settings)
    if is_production(settings) and not str(settings.get("portal.audit.checkpoint_file", "")).strip():
        raise SettingsError("production needs portal.audit.checkpoint_file (or $PORTAL_AUDIT_CHECKPOINT_FILE): "
                            "the audit log's checkpoints, on storage the database's administrators cannot write")


def check_production_secrets(settings: dict) -> None:
    """In production (portal.production = true) refuse published, short, regular or mis-sized secrets
    and keys (core/secret_strength.py). A no-op in development and tests."""
    if not is_production(settings):
        return
    problems = weak_secrets(settings)
    if problems:
        names = {v: k for k, v in ENVIRONMENT.items()}
        raise SettingsError(
            "production refuses weak secrets (set them from the environment):\n"
            + "\n".join(f"- {_with_variable(problem, names)}" for problem in problems)
        )


def _with_variable(problem: str, names: dict) -> str:
    """The problem with its setting's environment variable after the setting's name."""
    setting = problem.split(" ", 1)[0].rstrip(":")
    return problem.replace(setting, f"{setting} (${names[setting]})", 1) if setting in names else problem


def check_public_url(settings) -> None:
    """Refuse a malformed base, and production without one (a message saying what to set)."""
    value = str(settings.get("portal.public_url", "")).strip()
    production = asbool(settings.get("portal.production", False))
    if not value:
        if production:
            raise SettingsError(
                "portal.public_url (or $PORTAL_PUBLIC_URL) is required in production: the address the public "
                "reaches the portal at, e.g. https://safety.example.gov.cn. Every absolute link (QR codes, "
                "CAP and Atom feeds, Open Graph, SMS texts) is built from it, never from the Host header.")
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise SettingsError("portal.public_url must be an http(s) address with a host name and no query, "
                             f"e.g. https://safety.example.gov.cn (got {value!r})")
    if production and parts.scheme != "https":
        raise SettingsError(f"portal.public_url must start with https:// in production (got {value!r})")
