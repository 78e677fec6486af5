/* The alarm page and its embeddable widget (templates/alarm/_form.html).
 *
 * Without this script the page is plain HTML: call and SMS links, and a form that posts the place in
 * words. With it: the browser's position (accuracy shown) fills the form, the command center it goes to
 * is named before sending, the SMS link gets the center's number and a body with where and when, and a
 * send that fails says "not sent", opens the SMS composer and tries again while the page stays open.
 * It never plays a sound or vibrates. Words come from the form's data-msg-* attributes. */
(function () {
  "use strict";

  var script = document.currentScript;
  var form = document.getElementById("alarm-form");
  var embed = document.body.classList.contains("embed");

  /* The service worker keeps /alarm and /embed/alarm (and this script and its stylesheet) for offline use. */
  if (script && "serviceWorker" in navigator) {
    var sw = script.getAttribute("data-sw");
    window.addEventListener("load", function () {
      [form.getAttribute("action"), location.pathname].forEach(function (scope) {
        navigator.serviceWorker.register(sw, { scope: scope }).catch(function () {});
      });
    });
  }

  /* "Leave": replace this page in the history, so Back does not bring it up again. */
  var leave = document.querySelector(".leave-link");
  if (leave && !embed) {
    leave.addEventListener("click", function (event) {
      event.preventDefault();
      location.replace(leave.href);
    });
  }

  if (!form) return;

  function $(id) { return document.getElementById(id); }
  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }
  function show(element, text) { element.textContent = text; element.hidden = !text; }

  var where = $("alarm-location");
  var routed = $("alarm-routed");
  var sendStatus = $("alarm-send-status");
  var smsLink = $("sms-link");
  var smsText = $("sms-text");
  var smsNumber = form.getAttribute("data-sms-base");
  var unitName = "";
  var position = null;
  var routedAt = 0;

  /* Beijing time (UTC+8, no daylight saving), as the server writes it, whatever the phone's zone. */
  function localTime(ms) {
    return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC+8";
  }

  function smsBody() {
    var parts = [form.getAttribute("data-sms-message")];
    var text = form.elements.text.value.trim();
    var place = form.elements.place.value.trim();
    if (text) parts.push(text.slice(0, 140));
    if (position) parts.push(position.lat.toFixed(5) + "," + position.lon.toFixed(5) + " ±" + Math.round(position.acc) + "m");
    if (place) parts.push(place.slice(0, 80));
    parts.push(localTime(position ? position.at : Date.now()));
    return parts.join(" ");
  }

  /* The same separator as services/fallbacks.py: "?&body=" reads right on Android and on iOS. */
  function refreshSms() {
    smsLink.href = "sms:" + smsNumber + "?&body=" + encodeURIComponent(smsBody());
    smsText.textContent = smsBody();
    Array.prototype.forEach.call(document.querySelectorAll(".sms-number"), function (element) {
      element.textContent = smsNumber;
    });
  }

  function route() {
    if (!position || Date.now() - routedAt < 30000) return;
    routedAt = Date.now();
    var url = form.getAttribute("data-route") + "?lat=" + position.lat + "&lon=" + position.lon;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        smsNumber = data.sms;
        unitName = data.unit;
        show(routed, fill(msg("routed"), { unit: data.unit }));
        refreshSms();
      })
      .catch(function () { routedAt = 0; }); /* offline: try again with the next position */
  }

  function located(fix) {
    var c = fix.coords;
    position = { lat: c.latitude, lon: c.longitude, acc: c.accuracy, at: fix.timestamp || Date.now() };
    form.elements.lat.value = String(c.latitude);
    form.elements.lon.value = String(c.longitude);
    form.elements.accuracy_m.value = String(Math.round(c.accuracy * 10) / 10);
    form.elements.located_at.value = String(Math.round(position.at));
    show(where, fill(msg("located"), { accuracy: Math.max(1, Math.round(c.accuracy)) }));
    refreshSms();
    route();
  }

  function unlocated(error) {
    if (position) return;
    show(where, msg(embed && error && error.code === 1 ? "denied" : "no-location"));
  }

  if ("geolocation" in navigator) {
    show(where, msg("locating"));
    navigator.geolocation.watchPosition(located, unlocated, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  } else {
    unlocated(null);
  }
  form.elements.text.addEventListener("input", refreshSms);
  form.elements.place.addEventListener("input", refreshSms);
  refreshSms();

  /* One nonce per page load, kept through every retry: an alarm whose answer was lost and is sent
   * again is the same alarm on the server (alarms/idempotency.py). A page from the service worker's
   * cache would otherwise carry the nonce of the load that cached it. */
  if (form.elements.nonce && window.crypto && crypto.getRandomValues) {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    form.elements.nonce.value = btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var sending = false;
  var retry = null;
  var composerOpened = false;

  function notSent() {
    sending = false;
    show(sendStatus, msg("not-sent"));
    sendStatus.classList.add("not-sent");
    refreshSms();
    if (!composerOpened) { /* once: the person may already be typing the SMS */
      composerOpened = true;
      location.href = smsLink.href;
    }
    clearTimeout(retry);
    retry = setTimeout(send, 5000);
  }

  function sent(data) {
    sending = false;
    clearTimeout(retry);
    sendStatus.classList.remove("not-sent");
    show(sendStatus, fill(msg("sent"), { unit: data.unit || unitName }));
    if (!embed) {
      location.assign(data.url);
      return;
    }
    /* In another site's frame the alarm page opens on its own (it may not be framed). */
    var link = document.createElement("a");
    link.href = data.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = msg("open");
    sendStatus.appendChild(document.createTextNode(" "));
    sendStatus.appendChild(link);
    window.open(data.url, "_blank", "noopener");
  }

  function send() {
    if (sending) return;
    sending = true;
    show(sendStatus, msg("sending"));
    fetch(form.getAttribute("action"), {
      method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (response.status !== 201) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(sent, notSent);
  }

  /* Video, silent video and voice alarms: only where this browser can call (camera, microphone, WebRTC).
   * The button pressed names the kind; the alarm itself is sent exactly like the silent one. */
  var choice = $("call-choice");
  if (choice && window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && !embed) {
    choice.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter;
    form.elements.kind.value = button && button.classList.contains("call") ? button.value : "";
    composerOpened = false;
    send();
  });
  window.addEventListener("online", function () { if (retry) { clearTimeout(retry); send(); } });
})();
