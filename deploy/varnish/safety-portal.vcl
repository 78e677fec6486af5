# Varnish in front of the portal's app servers, behind nginx (TLS, compression, static files):
#   client -> nginx :443 -> varnishd :6081 (this file) -> waitress :6543, :6544, ...
# Public answers say themselves how long a proxy may keep them (Cache-Control s-maxage and
# stale-while-revalidate) and what they show (the `xkey` header: notice-12 notice-list unit-139910
# media-7 ...); every change the portal commits purges its tags at once (PURGE with an `xkey-purge`
# header, from the addresses of the `purgers` ACL only; portal.proxy.purge_urls). Anything with the
# session cookie or an Authorization header, and anything but GET and HEAD, goes to an app server.
# Debian: apt-get install varnish varnish-modules; run varnishd -a 127.0.0.1:6081 -f <this file>.
# Checked in CI by `varnishd -C` and run for real in tests/functional/test_caching_proxy.py.
# It starts empty: portal-warm-proxy fills it (deploy/systemd/safety-portal-warmer.service).
vcl 4.1;

import directors;
import std;
import cookie;
import xkey;

probe portal_healthz {
    .url = "/healthz";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
}

# One backend per app process (deploy/systemd/safety-portal-web@.service).
backend app_6543 {
    .host = "127.0.0.1";
    .port = "6543";
    .probe = portal_healthz;
    .connect_timeout = 1s;
    .first_byte_timeout = 60s;
    .between_bytes_timeout = 60s;
}

backend app_6544 {
    .host = "127.0.0.1";
    .port = "6544";
    .probe = portal_healthz;
    .connect_timeout = 1s;
    .first_byte_timeout = 60s;
    .between_bytes_timeout = 60s;
}

# Who may purge: the app servers and the worker (their portal.proxy.purge_urls point here).
acl purgers {
    "127.0.0.1";
    "::1";
}

# Who may set X-Forwarded-For: nginx on this host.
acl forwarders {
    "127.0.0.1";
    "::1";
}

sub vcl_init {
    new app = directors.round_robin();
    app.add_backend(app_6543);
    app.add_backend(app_6544);
}

sub vcl_recv {
    if (req.restarts == 0) {
        # varnishd appended nginx's address to the client's that nginx set: the app servers take the
        # last address (waitress trusted_proxy), which must be the client's, never the proxy's.
        if (client.ip ~ forwarders) {
            set req.http.X-Forwarded-For = regsub(req.http.X-Forwarded-For, ",\s*[^,]*$", "");
        } else {
            set req.http.X-Forwarded-For = client.ip;
        }
        unset req.http.X-Portal-Grace;  # this VCL's own (vcl_hit), never a visitor's
        unset req.http.X-Portal-Refreshing;  # this VCL's own (below), never a visitor's
    }
    set req.backend_hint = app.backend();
    if (req.http.X-Portal-Grace == "fresh") {
        set req.grace = 0s;  # past stale-while-revalidate, an app server up: a fresh copy
    } elsif (req.http.X-Portal-Grace == "stale") {
        set req.grace = 3650d;  # the copy's own grace after all (a restart keeps the 0s above)
    }

    if (req.method == "PURGE") {
        # nginx refuses PURGE from visitors; a PURGE that came through it anyway (it sets
        # X-Forwarded-Proto, the purgers do not) is a visitor's, whatever address nginx has.
        if (client.ip !~ purgers || req.http.X-Forwarded-Proto) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "The xkey-purge header names the tags to purge"));
        }
        set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged"));
    }
    unset req.http.xkey-purge;
    # portal-warm-proxy --refresh, after an upgrade: fetch this answer anew and replace the copy, which
    # visitors keep getting until then (no empty proxy). nginx drops the header from visitors.
    if (req.http.X-Portal-Refresh) {
        if (client.ip ~ purgers) {
            set req.hash_always_miss = true;
            set req.http.X-Portal-Refreshing = "1";
        }
        unset req.http.X-Portal-Refresh;
    }

    # Forms, uploads, sign-in, alarms: only GET and HEAD can come from the cache.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A session (an officer, a family's or reporter's form) or credentials: never from a shared cache.
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)portal_session=") {
        return (pass);
    }
    # The public answers, and only those: the language cookie is all that is kept (the pages are in
    # its language; portal_language makes it the Accept-Language), every other cookie is dropped. Any
    # other path keeps its cookies and is passed.
    if (req.url ~ "^/(\?[^/]*)?$"
        || req.url ~ "^/notices(/[0-9]+(/poster|\.cap)?)?(\?.*)?$"
        || req.url ~ "^/api/v1/notices(/[0-9]+)?(\?.*)?$"
        || req.url ~ "^/api/openapi\.json(\?.*)?$"
        || req.url ~ "^/feeds/notices\.(atom|cap\.atom)(\?.*)?$"
        || req.url ~ "^/media/[0-9]+/(public|thumb)(\?.*)?$"
        || req.url ~ "^/(sitemap\.xml|robots\.txt)$") {
        # What messengers and campaigns add to a shared link (WeChat's from= and isappinstalled=, utm_*,
        # fbclid, gclid; the portal reads none of them): the same answer, so one cached copy.
        if (req.url ~ "[?&](from|isappinstalled|utm_[a-z]+|fbclid|gclid)=") {
            set req.url = regsuball(req.url, "(?<=[?&])(from|isappinstalled|utm_[a-z]+|fbclid|gclid)=[^&]*(&|$)", "");
            set req.url = regsub(req.url, "[?&]+$", "");
        }
        if (req.http.Cookie) {
            if (req.http.Cookie ~ "(^|;)\s*lang=.*;\s*lang=") {
                return (pass);  # two language cookies: the portal's choice is its own
            }
            cookie.parse(req.http.Cookie);
            cookie.keep("lang");
            set req.http.Cookie = cookie.get_string();
            if (req.http.Cookie == "") {
                unset req.http.Cookie;
            }
        }
        call portal_language;
        return (hash);
    }
    return (pass);
}

# One cached copy per language, the copy portal-warm-proxy fills (Accept-Language zh-CN, en or ug),
# not one per browser's header or cookie: the answers Vary on Accept-Language and Cookie, and the portal
# answers byte for byte the same (tests/functional/test_language_copies.py) for
# - a valid lang cookie (core/i18n.negotiate_locale: it outranks Accept-Language) and no cookie with
#   that language's Accept-Language: the cookie becomes the header and is dropped;
# - no header, or one naming none of zh, en, ug, and Accept-Language zh-CN (portal.default_locale,
#   zh_CN: change "zh-CN" below and warm_plan.LANGUAGES' first if a site changes it);
# - a header whose choice is certain (no range refused with q=0): the first range naming zh, en or ug
#   with q=1 (none after it can outrank it), and that language alone.
# Any other header (the preferred language at a lower q) is kept as sent: answered right, only cached
# apart. A lang cookie the portal may read otherwise than this (quoted, escaped, twice) is passed; a
# ?lang= link keeps the cookie in the hash (its answer sets the cookie unless it already says so).
sub portal_language {
    if (req.http.Cookie && req.url !~ "[?&]lang=") {
        set req.http.X-Portal-Language = cookie.get("lang");  # vcl_recv parsed the header
        if (req.http.X-Portal-Language !~ "^[A-Za-z0-9_-]*$") {
            unset req.http.X-Portal-Language;
            return (pass);
        }
        # core/i18n._known: zh, en or ug, alone or followed by - or _ and anything; any other value is
        # ignored there (the header decides), so it goes here too.
        if (req.http.X-Portal-Language ~ "^(?i)zh([-_]|$)") {
            set req.http.Accept-Language = "zh-CN";
        } elsif (req.http.X-Portal-Language ~ "^(?i)(en|ug)([-_]|$)") {
            set req.http.Accept-Language = std.tolower(regsub(req.http.X-Portal-Language, "^(..).*$", "\1"));
        }
        unset req.http.X-Portal-Language;
        unset req.http.Cookie;
    }
    if (!req.http.Accept-Language) {
        set req.http.Accept-Language = "zh-CN";
        return;
    }
    if (req.http.Accept-Language ~ "(?i)q\s*=\s*0(\.0*)?\s*(,|$)") {
        return;
    }
    if (req.http.Accept-Language !~ "(?i)(^|,)\s*(zh|en|ug)\s*(-|;|,|$)") {
        set req.http.Accept-Language = "zh-CN";
        return;
    }
    set req.http.X-Portal-Language = regsub(req.http.Accept-Language,
        "(?i)^(?:[^,]*,)*?\s*(zh|en|ug)(?:-[a-z0-9]+)*\s*(?:;\s*q\s*=\s*1(?:\.0*)?)?\s*(?:,.*)?$", "\1");
    if (req.http.X-Portal-Language ~ "(?i)^zh$") {
        set req.http.Accept-Language = "zh-CN";
    } elsif (req.http.X-Portal-Language ~ "(?i)^(en|ug)$") {
        set req.http.Accept-Language = std.tolower(req.http.X-Portal-Language);
    }
    unset req.http.X-Portal-Language;
}

sub vcl_hash {
    # A ?lang= link's copy with and without the language cookie (portal_language drops it elsewhere).
    if (req.http.Cookie) {
        hash_data(req.http.Cookie);
    }
}

# Grace (the copies' beresp.grace: stale-if-error, a day): while an app server is up, a copy past its
# TTL is served only for its stale-while-revalidate window (a fresh one fetched in the background);
# past that, the visitor waits for a fresh copy. With every app server down (the probe says so) the copy
# is served for its whole grace: an appeal stays readable through an outage of hours. Purges stay hard.
sub vcl_hit {
    if (obj.ttl < 0s && !req.http.X-Portal-Grace && std.healthy(req.backend_hint)
        && obj.ttl + std.duration(regsub(obj.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s"), 0s) <= 0s) {
        set req.http.X-Portal-Grace = "fresh";
        return (restart);
    }
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.X-Purged = req.http.X-Purged;
        return (deliver);
    }
    # That fresh copy could not be had (an app server failing, or dead before its probe said so): the
    # stale copy after all, for as long as its grace lasts.
    if (resp.status == 503 && req.http.X-Portal-Grace == "fresh") {
        set req.http.X-Portal-Grace = "stale";
        return (restart);
    }
    # No app server answered and there is no copy (vcl_backend_error abandoned the fetch): the page nginx
    # shows when Varnish is down, with the call 110 / call 122 / SMS 12110 links, which work with no
    # JavaScript and no portal. Never Varnish's own error page. Made here, for this request alone: as a
    # fetched object (made in vcl_backend_error) it once reached a visitor with an empty body.
    if (resp.status == 503) {
        set resp.reason = "Service Unavailable";
        set resp.http.Content-Type = "text/html; charset=utf-8";
        set resp.http.Cache-Control = "no-store";
        set resp.http.Retry-After = "60";
        if (std.fileread("/srv/safety-portal/portal/static/errors/unavailable.html") ~ "tel:110") {
            set resp.body = std.fileread("/srv/safety-portal/portal/static/errors/unavailable.html");
        } else {
            # The file is missing or unreadable to varnishd's user (fileread gives nothing): the links all the same.
            set resp.body = {"<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>服务暂时不可用</title>
<h1>服务暂时不可用 Service temporarily unavailable</h1>
<p><a href="tel:110">拨打 110 报警 Call 110</a></p><p><a href="tel:122">拨打 122 交通事故 Call 122</a></p>
<p><a href="sms:12110">短信 12110 SMS 12110</a></p></html>"};
        }
        return (deliver);
    }
}

sub vcl_backend_response {
    # A failing app server (its database down, say) never replaces a copy that grace may still serve,
    # nor one a refresh meant to replace (its 5xx would hide the copy from visitors as a hit-for-miss).
    if (beresp.status >= 500
        && (bereq.is_bgfetch || bereq.http.X-Portal-Grace == "fresh" || bereq.http.X-Portal-Refreshing)) {
        return (abandon);
    }
    # Only what the portal declared public (core/caching.py); a private answer is remembered as such
    # for a while so that its next requests go straight to an app server.
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control !~ "(^|,\s*)public") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Grace: past its TTL, a copy is served for stale-while-revalidate more while a fresh one is fetched
    # in the background (an expiring page never makes a visitor wait), and for stale-if-error (RFC 5861)
    # while no app server can answer (vcl_hit tells the two apart). Purges are hard (xkey.purge, never
    # softpurge): a purged copy is gone at once, grace or not, outage or not (a closed appeal).
    # tests/functional/test_warm_proxy.py and test_proxy_outage.py check them.
    set beresp.grace = 0s;
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-while-revalidate=([0-9]+).*$", "\1s"), 30s);
    }
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+" && std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s) > beresp.grace) {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    }
    # Kept a while longer for conditional fetches (the app's ETags); a purge removes these too.
    set beresp.keep = 1h;
}

sub vcl_backend_error {
    # An app server died while answering an idempotent request: another one answers it. Until the probe
    # marks the dead one sick (a few seconds), the round robin may hand a retry to it again when other
    # requests came in between: up to three tries, each refused at once by a dead server.
    if (bereq.retries < 3 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
    # No app server answered: the client side answers (vcl_synth): with the stale copy (a background
    # fetch, or a fresh one that failed) or, with none, the outage page.
    return (abandon);
}

sub vcl_backend_fetch {
    if (bereq.retries > 0) {
        set bereq.http.X-Retried = bereq.retries;
    }
}

sub vcl_deliver {
    # The tags are for this proxy only.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
}
