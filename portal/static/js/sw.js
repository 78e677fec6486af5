/* The alarm service worker, served at /sw.js (views/public/alarm.py) and registered by alarm.js for the
 * scopes /alarm and /embed/alarm.
 *
 * It keeps the alarm page, the widget, and their stylesheet and script, so that with no network the
 * page still opens with its call and SMS links. Always the network first (a fresh page, a fresh CSRF
 * token); the kept copy only when the network fails. Nothing else is touched: other pages, every POST
 * and every secret /alarm/{token} page go straight to the network.
 *
 * Each language's page is kept apart (its key ends in ?lang=<code>), all three fetched at install
 * without cookies (so the person's own language choice is never changed by it). Offline, a page asked
 * for with ?lang= gets that language; otherwise the language the person last saw it in (the
 * Content-Language of the last page the network gave), so the offline page follows their choice. */
"use strict";

var CACHE = "portal-alarm-v2";
var LANGS = { "zh-Hans": "zh_CN", "en": "en", "ug": "ug" };
var CODES = Object.keys(LANGS).map(function (tag) { return LANGS[tag]; });
var PAGES = ["alarm", "embed/alarm"].map(path);
var FILES = ["static/css/alarm.css", "static/js/alarm.js"].map(path);
var CHOSEN = path("sw-chosen-language"); /* a key of the cache only, never fetched */

function path(relative) { return new URL(relative, self.location).pathname; }
function pageKey(pathname, code) { return pathname + "?lang=" + code; }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    var pages = [];
    PAGES.forEach(function (pathname) {
      CODES.forEach(function (code) {
        pages.push(fetch(new Request(pageKey(pathname, code), { credentials: "omit" })).then(function (response) {
          if (response.ok) return cache.put(pageKey(pathname, code), response);
        }));
      });
    });
    return Promise.all(pages.concat([cache.addAll(FILES)]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("portal-alarm-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function askedLanguage(url) {
  var code = url.searchParams.get("lang");
  return CODES.indexOf(code) >= 0 ? code : null;
}

function chosenLanguage(cache) {
  return cache.match(CHOSEN).then(function (kept) { return kept ? kept.text() : null; });
}

/* A page from the network: keep it under its language and remember that language as the chosen one. */
function keepPage(cache, url, response) {
  var code = LANGS[(response.headers.get("Content-Language") || "").trim()] || askedLanguage(url);
  if (!code) return Promise.resolve();
  return Promise.all([cache.put(pageKey(url.pathname, code), response),
                      cache.put(CHOSEN, new Response(code))]);
}

function keptPage(cache, url) {
  return chosenLanguage(cache).then(function (chosen) {
    var wanted = [askedLanguage(url), chosen].concat(CODES).filter(Boolean);
    return wanted.reduce(function (found, code) {
      return found.then(function (hit) { return hit || cache.match(pageKey(url.pathname, code)); });
    }, Promise.resolve(null));
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  var page = PAGES.indexOf(url.pathname) >= 0;
  if (request.method !== "GET" || url.origin !== self.location.origin || (!page && FILES.indexOf(url.pathname) < 0)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        return page ? keepPage(cache, url, copy) : cache.put(url.pathname, copy);
      });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return page ? keptPage(cache, url) : cache.match(url.pathname);
    }).then(function (kept) { return kept || Response.error(); });
  }));
});
