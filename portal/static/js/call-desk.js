/* The dispatcher's side of a call, on the alarm's page (templates/calls/_desk.html).
 *
 * Finds the alarm's call and follows it: ringing (visible, and audible where the browser allows a
 * sound), answered by this dispatcher or taken by another. Answering sends the offer: the caller's
 * video (for video calls) and voice come in, this dispatcher's voice goes out except on a silent
 * call. Signals travel through the portal's JSON endpoints (a bounded long poll); the media goes
 * browser to browser. A connection that fails is retried once with an ICE restart, then said plainly.
 * Hold, resume, end, and a still of the video kept with the alarm's photos. */
(function () {
  "use strict";

  var root = document.getElementById("call-desk");
  if (!root) return;

  function data(name) { return root.getAttribute("data-" + name) || ""; }
  function msg(name) { return data("msg-" + name); }
  function $(id) { return document.getElementById(id); }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  var kind = data("kind");
  var silent = kind === "silent_video";
  var withVideo = kind !== "voice";
  var stateLine = $("call-desk-state");
  var video = $("call-desk-video");
  var audio = $("call-desk-audio");
  var buttons = { answer: $("call-desk-answer"), hold: $("call-desk-hold"), resume: $("call-desk-resume"),
                  snapshot: $("call-desk-snapshot"), end: $("call-desk-end") };
  var call = null;
  var pc = null;
  var mic = null;
  var after = 0;
  var version = 0;
  var polling = false;
  var restarted = false;
  var connectTimer = null;
  var connectTimeout = 20;
  var outbox = [];
  var sending = false;
  var remoteSet = false;
  var pendingCandidates = [];
  var ringer = null;
  var mediaFailed = false;

  function say(text, kindOfAlert) {
    stateLine.textContent = text;
    stateLine.className = "alert call-desk-state alert-" + (kindOfAlert || "info");
  }

  function visible(names) {
    Object.keys(buttons).forEach(function (name) {
      if (buttons[name]) buttons[name].hidden = names.indexOf(name) < 0;
    });
  }

  function request(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ Accept: "application/json", "X-CSRF-Token": data("csrf") }, options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        answer.status = response.status;
        return answer;
      });
    });
  }

  function post(action, body) {
    return request(data("call-base") + call.id + "/" + action, {
      method: "POST", body: JSON.stringify(body || {}), headers: { "Content-Type": "application/json" }
    });
  }

  /* ---- ringing: a short double tone every two seconds, once the browser allows sound ---- */
  function startRinging() {
    if (ringer) return;
    var Context = window.AudioContext || window.webkitAudioContext;
    var context = Context ? new Context() : null;
    function tone() {
      if (!context || context.state !== "running") return;
      var start = context.currentTime + 0.01;
      [0, 0.25].forEach(function (offset) {
        var oscillator = context.createOscillator();
        var gain = context.createGain();
        oscillator.frequency.value = 660;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
        oscillator.connect(gain);
        gain.connect(context.destination);
        oscillator.start(start + offset);
        oscillator.stop(start + offset + 0.22);
      });
    }
    ringer = { context: context, timer: setInterval(tone, 2000) };
    root.classList.add("ringing");
    if (context) context.resume().catch(function () {});
  }

  function stopRinging() {
    if (!ringer) return;
    clearInterval(ringer.timer);
    if (ringer.context) ringer.context.close().catch(function () {});
    ringer = null;
    root.classList.remove("ringing");
  }

  /* ---- signals out, in order, each retried until the server has it ---- */
  function signal(kindOfSignal, body) {
    outbox.push({ kind: kindOfSignal, body: body });
    flush();
  }

  function flush() {
    if (sending || !outbox.length || !call) return;
    sending = true;
    post("signals", outbox[0]).then(function (answer) {
      sending = false;
      if (answer.status !== 201 && answer.status < 500) return outbox.shift() && flush();
      if (answer.status === 201) outbox.shift();
      flush();
    }, function () {
      sending = false;
      setTimeout(flush, 1000);
    });
  }

  function offer(options) {
    return pc.createOffer(options || {})
      .then(function (description) { return pc.setLocalDescription(description); })
      .then(function () {
        signal("offer", { type: "offer", sdp: pc.localDescription.sdp });
        clearTimeout(connectTimer);
        connectTimer = setTimeout(notConnected, connectTimeout * 1000);
      });
  }

  function notConnected() {
    if (pc && pc.connectionState === "connected") return;
    if (!restarted && pc) {
      restarted = true;
      mediaFailed = true;
      say(msg("failed"), "warning");
      offer({ iceRestart: true });
      return;
    }
    mediaFailed = true;
    say(msg("failed-again"), "danger");
  }

  function connectionChanged() {
    var state = pc.connectionState || pc.iceConnectionState;
    if (state === "connected" || state === "completed") {
      clearTimeout(connectTimer);
      mediaFailed = false;
      say(msg("connected"), "success");
    } else if (state === "failed") {
      notConnected();
    }
  }

  function peer(ice) {
    pc = new RTCPeerConnection(ice);
    if (withVideo) pc.addTransceiver("video", { direction: "recvonly" });
    if (mic && !silent) {
      mic.getTracks().forEach(function (track) { pc.addTrack(track, mic); });
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" }); /* silent: only the caller's sound comes in */
    }
    pc.onicecandidate = function (event) {
      if (event.candidate) signal("candidate", event.candidate.toJSON());
    };
    pc.ontrack = function (event) {
      var stream = event.streams[0] || new MediaStream([event.track]);
      if (withVideo) video.srcObject = stream;
      else audio.srcObject = stream;
    };
    pc.onconnectionstatechange = connectionChanged;
    pc.oniceconnectionstatechange = connectionChanged;
    return offer();
  }

  function onSignal(item) {
    after = Math.max(after, item.id);
    if (!pc) return;
    if (item.kind === "answer") {
      pc.setRemoteDescription(item.body).then(function () {
        remoteSet = true;
        pendingCandidates.splice(0).forEach(function (candidate) { pc.addIceCandidate(candidate).catch(function () {}); });
      }).catch(function () { notConnected(); });
    } else if (item.kind === "candidate") {
      if (remoteSet) pc.addIceCandidate(item.body).catch(function () {});
      else pendingCandidates.push(item.body);
    }
  }

  function hangUpLocally() {
    stopRinging();
    clearTimeout(connectTimer);
    if (pc) pc.close();
    pc = null;
    if (mic) mic.getTracks().forEach(function (track) { track.stop(); });
    mic = null;
  }

  function show(state) {
    call = state;
    version = state.version;
    if (state.state === "ringing") {
      startRinging();
      visible(["answer"]);
      say(fill(msg("ringing"), { time: state.since }), "warning");
    } else {
      stopRinging();
    }
    if (state.state === "ended") {
      hangUpLocally();
      visible([]);
      say(fill(msg("ended"), { reason: state.end_reason || state.state_label }), "secondary");
    } else if (state.state !== "ringing" && !state.mine) {
      visible([]);
      say(fill(msg("taken"), { name: state.taken_by }), "secondary");
    } else if (state.state === "held") {
      visible(["resume", "end"]);
      say(msg("held"), "warning");
    } else if (state.state === "connected") {
      visible(["hold", "snapshot", "end"].filter(function (name) { return name !== "snapshot" || withVideo; }));
      if (!mediaFailed && (!pc || pc.connectionState !== "connected")) say(msg("connecting"));
    }
  }

  function poll() {
    if (!call || polling) return;
    polling = true;
    var wait = call.state === "ended" ? 0 : 8;
    request(data("call-base") + call.id + "/poll?after=" + after + "&version=" + version + "&wait=" + wait)
      .then(function (answer) {
        polling = false;
        if (answer.status !== 200) throw new Error("HTTP " + answer.status);
        (answer.signals || []).forEach(onSignal);
        show(answer.call);
        if (answer.call.state !== "ended") setTimeout(poll, 200);
        else setTimeout(find, 3000); /* a new call on the same alarm rings here too */
      })
      .catch(function () { polling = false; setTimeout(poll, 2000); });
  }

  /* The alarm's newest call; until there is one, ask again every two seconds. */
  function find() {
    request(data("calls")).then(function (answer) {
      var latest = (answer.calls || [])[0];
      if (latest && (!call || latest.id !== call.id || latest.state !== "ended")) {
        if (!call || latest.id !== call.id) { after = 0; version = 0; }
        show(latest);
        if (latest.state !== "ended") return poll();
      } else if (!latest) {
        say(msg("none"));
      }
      setTimeout(find, 2000);
    }, function () { setTimeout(find, 2000); });
  }

  function answerCall() {
    stopRinging();
    visible([]);
    say(msg("connecting"));
    var asked = silent || !navigator.mediaDevices ? Promise.resolve(null)
      : navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } })
        .catch(function () { say(msg("no-mic"), "warning"); return null; });
    asked.then(function (stream) {
      mic = stream;
      return post("answer");
    }).then(function (answer) {
      if (answer.status !== 200) {
        if (answer.call) show(answer.call);
        say(answer.error || fill(msg("error"), { reason: answer.status }), "danger");
        return;
      }
      connectTimeout = answer.connect_timeout_s || connectTimeout;
      show(answer.call);
      return peer(answer.ice);
    }).catch(function (error) { say(fill(msg("error"), { reason: error }), "danger"); });
  }

  function step(action) {
    post(action).then(function (answer) {
      if (answer.call) show(answer.call);
      if (answer.status !== 200) say(answer.error || fill(msg("error"), { reason: answer.status }), "danger");
      if (mic) mic.getAudioTracks().forEach(function (track) { track.enabled = action !== "hold"; });
      if (action === "end") hangUpLocally();
    });
  }

  function snapshot() {
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width) return;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var form = new FormData();
      form.append("photo", blob, "snapshot.jpg");
      request(data("call-base") + call.id + "/snapshot", { method: "POST", body: form }).then(function (answer) {
        say(answer.status === 201 ? msg("snapshot") : answer.error || fill(msg("error"), { reason: answer.status }),
            answer.status === 201 ? "success" : "danger");
      });
    }, "image/jpeg", 0.9);
  }

  buttons.answer.addEventListener("click", answerCall);
  buttons.hold.addEventListener("click", function () { step("hold"); });
  buttons.resume.addEventListener("click", function () { step("resume"); });
  buttons.end.addEventListener("click", function () { step("end"); });
  if (buttons.snapshot) buttons.snapshot.addEventListener("click", snapshot);
  /* Sound needs a gesture in most browsers: the first click anywhere lets the ring be heard. */
  document.addEventListener("click", function () {
    if (ringer && ringer.context) ringer.context.resume().catch(function () {});
  });

  if (!window.RTCPeerConnection) {
    say(fill(msg("error"), { reason: "WebRTC" }), "danger");
    return;
  }
  find();
})();
