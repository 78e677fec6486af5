/* The alarm service worker, served at /sw.js (views/public/alarm.py) and registered by alarm.js for the
 * scopes /alarm and /embed/alarm.
 *
 * It keeps the alarm page, the widget, and their stylesheet and script, so that with no network the
 * page still opens with its call and SMS links. Always the network first (a fresh page, a fresh CSRF
 * token); the kept copy only when the network fails. Nothing else is touched: other pages, every POST
 * and every secret /alarm/{token} page go straight to the network. */
"use strict";

var CACHE = "portal-alarm-v1";
var KEPT = ["alarm", "embed/alarm", "static/css/alarm.css", "static/js/alarm.js"].map(function (path) {
  return new URL(path, self.location).pathname;
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(KEPT);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("portal-alarm-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || KEPT.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
  }));
});
