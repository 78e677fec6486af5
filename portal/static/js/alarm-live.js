/* The sender's live alarm page (templates/alarm/sender.html).
 *
 * Polls the thread and the state (waitress has no websockets), sends messages and photos without
 * leaving the page (the plain forms still work without this script), and shares the position as the
 * person moves, at most once per interval. Anything not sent says so and is tried again; the text
 * typed stays in its box. Words come from the section's data-msg-* attributes. */
(function () {
  "use strict";

  var root = document.getElementById("alarm-live");
  if (!root) return;

  function data(name) { return root.getAttribute("data-" + name) || ""; }
  function msg(name) { return data("msg-" + name); }
  function $(id) { return document.getElementById(id); }
  function show(element, text, bad) {
    element.textContent = text;
    element.hidden = !text;
    element.classList.toggle("not-sent", !!bad);
  }

  var thread = $("alarm-thread");
  var stateLine = $("alarm-state");
  var where = $("alarm-location");
  var lastId = Number(data("last-id")) || 0;
  var open = data("open") === "true";
  var seen = {};
  Array.prototype.forEach.call(thread.children, function (item) { seen[item.getAttribute("data-id")] = true; });

  function request(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = { Accept: "application/json", "X-CSRF-Token": data("csrf") };
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        body.status = response.status;
        return body;
      });
    });
  }

  function append(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var item = document.createElement("li");
    item.className = "from-" + message.sender;
    item.setAttribute("data-id", message.id);
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = msg(message.sender) + (message.label ? " · " + message.label : "");
    var at = document.createElement("time");
    at.textContent = message.at;
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = message.photo ? msg("photo") : message.text;
    item.appendChild(who);
    item.appendChild(at);
    item.appendChild(text);
    thread.appendChild(item);
  }

  function ended() {
    open = false;
    ["alarm-message", "alarm-photo"].forEach(function (id) { if ($(id)) $(id).hidden = true; });
    var cancel = document.querySelector(".alarm-live .cancel");
    if (cancel) cancel.hidden = true;
  }

  function poll() {
    request(data("updates") + "?after=" + lastId)
      .then(function (body) {
        if (body.status !== 200) return;
        body.messages.forEach(append);
        stateLine.textContent = body.state_label;
        stateLine.className = "state state-" + body.state;
        if (!body.open) ended();
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, Number(data("poll-ms")) || 2000); });
  }
  setTimeout(poll, Number(data("poll-ms")) || 2000);

  /* A form sent in the background: on a network failure it says "not sent" and tries again. */
  function enhance(form, statusId, done) {
    if (!form) return;
    var status = $(statusId);
    var timer = null;
    function attempt() {
      request(form.getAttribute("action"), { method: "POST", body: new FormData(form) })
        .then(function (body) {
          if (body.status === 201) {
            show(status, "");
            done(body);
          } else {
            show(status, body.error || msg("not-sent"), true);
            if (body.status === 429) timer = setTimeout(attempt, 1000 * (body.retry_after || 10));
          }
        }, function () {
          show(status, msg("not-sent"), true);
          timer = setTimeout(attempt, 5000);
        });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      attempt();
    });
  }

  /* Each line carries a nonce, kept while it is retried and renewed once it is stored: a line
   * whose answer was lost is not stored twice. */
  function renewNonce(form) {
    if (!form || !form.elements.nonce || !(window.crypto && crypto.getRandomValues)) return;
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    form.elements.nonce.value = btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  renewNonce($("alarm-message"));
  enhance($("alarm-message"), "message-status", function (body) {
    renewNonce($("alarm-message"));
    $("message-text").value = "";
    append(body.message);
  });
  enhance($("alarm-photo"), "photo-status", function (body) {
    $("alarm-photo-file").value = "";
    body.messages.forEach(append);
  });

  /* The position as the person moves: the newest fix, sent at most once per interval. */
  var latest = null;
  var sentAt = 0;
  var pause = 0;
  function share() {
    if (!open || !latest || latest.sent || Date.now() < pause) return;
    var fix = latest;
    var body = new FormData();
    body.append("lat", fix.lat);
    body.append("lon", fix.lon);
    body.append("accuracy_m", fix.acc);
    body.append("located_at", fix.at);
    sentAt = Date.now();
    request(data("location"), { method: "POST", body: body }).then(function (answer) {
      if (answer.status === 200 || answer.status === 201) {
        fix.sent = true;
        show(where, msg("sharing").replace("{accuracy}", Math.max(1, Math.round(fix.acc))));
      } else if (answer.status === 429) {
        fix.sent = true; /* kept by the server all the same */
        pause = Date.now() + 1000 * (answer.retry_after || 30);
      } else if (answer.status === 409) {
        ended();
      } else {
        fix.sent = true; /* refused (stale, absurd): wait for a better fix */
      }
    }, function () { show(where, msg("offline"), true); });
  }
  if (open && "geolocation" in navigator) {
    navigator.geolocation.watchPosition(function (fix) {
      latest = { lat: fix.coords.latitude, lon: fix.coords.longitude, acc: Math.round(fix.coords.accuracy * 10) / 10,
                 at: Math.round(fix.timestamp || Date.now()) };
      if (Date.now() - sentAt >= (Number(data("location-ms")) || 10000)) share();
    }, function () {}, { enableHighAccuracy: true, maximumAge: 10000 });
    setInterval(share, Number(data("location-ms")) || 10000);
  }
})();
