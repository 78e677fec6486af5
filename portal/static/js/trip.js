/* The traveller's page (templates/trips/trip.html): sends the browser's position while the trip runs.
 *
 * watchPosition gives fixes as the phone moves; at most one is sent every THROTTLE_MS (the newest one
 * waits its turn, nothing piles up). A position the server refuses (4xx with a reason) is said on the
 * page and dropped: the last good one stays stored. A failed connection is retried with the next fix.
 * When the trip has ended (409), the page reloads to say so. Words come from data-msg-* attributes. */
(function () {
  "use strict";

  var THROTTLE_MS = 15000;

  var box = document.querySelector("[data-trip-sharing]");
  if (!box) return;
  var data = box.dataset;
  var status = box.querySelector("[data-sharing-status]");
  var pending = null;
  var lastSent = 0;
  var timer = null;
  var sending = false;
  var watch = null;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function say(text) {
    if (status.textContent !== text) status.textContent = text;
  }

  function schedule() {
    if (timer || sending || !pending) return;
    var wait = Math.max(0, lastSent + THROTTLE_MS - Date.now());
    timer = window.setTimeout(function () { timer = null; send(); }, wait);
  }

  function send() {
    var position = pending;
    if (!position) return;
    pending = null;
    sending = true;
    lastSent = Date.now();
    fetch(data.locationUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": data.csrf },
      body: JSON.stringify({ lat: position.coords.latitude, lon: position.coords.longitude,
                             accuracy_m: position.coords.accuracy, located_at: Math.round(position.timestamp) })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (body.state && body.state !== "active") {
          stop();
          window.location.reload();
        } else if (response.ok) {
          say(data.msgSharing + " " + fill(data.msgSent, { time: body.point.local_time }));
        } else {
          say(fill(data.msgRefused, { reason: body.error || response.status }));
        }
      });
    }).catch(function () {
      if (!pending) pending = position; // offline: try this fix again unless a newer one came
      say(data.msgOffline);
    }).then(function () {
      sending = false;
      schedule();
    });
  }

  function stop() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }

  if (!navigator.geolocation) { say(data.msgUnsupported); return; }
  say(data.msgSharing);
  watch = navigator.geolocation.watchPosition(function (position) {
    pending = position;
    schedule();
  }, function (error) {
    say(error.code === error.PERMISSION_DENIED ? data.msgDenied : data.msgUnavailable);
  }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });

  // Keep the screen on while sharing, where the browser allows it (the page must stay open).
  if (navigator.wakeLock && navigator.wakeLock.request) {
    var lock = function () { navigator.wakeLock.request("screen").catch(function () {}); };
    lock();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) lock(); });
  }
})();
