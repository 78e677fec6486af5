/* The caller's side of a video, silent video or voice alarm (templates/calls/_caller.html).
 *
 * The alarm is already sent when this runs: the call is on top of it. The page asks for the camera and
 * microphone, rings the command center, and waits honestly ("waiting for a dispatcher, 0:12"). A
 * dispatcher who answers sends an offer; this page answers it, and the media goes browser to browser
 * (WebRTC), never through the portal. Signals travel through the portal's JSON endpoints, polled with a
 * bounded wait (waitress has no WebSocket). Whatever fails (no camera, no answer, no connection, no
 * network) is said plainly and the text alarm below keeps working.
 *
 * A silent video call never makes a sound: the dispatcher's audio is never played (no element for it),
 * and the screen can be dimmed. The stream is announced to the recorder (call-recorder.js) with the
 * `portal-call-media` event, and `portal-call-ended` when the camera stops. */
(function () {
  "use strict";

  var root = document.getElementById("call");
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
  var stateLine = $("call-state");
  var selfView = $("call-self");
  var remoteAudio = $("call-remote");
  var controls = $("call-controls");
  var stream = null;
  var pc = null;
  var call = null;
  var ice = null;
  var after = 0;
  var version = 0;
  var facing = "user";
  var startedAt = 0;
  var ringTimeout = 60;
  var connectTimeout = 20;
  var connectTimer = null;
  var tick = null;
  var finished = false;
  var remoteSet = false;
  var pendingCandidates = [];
  var outbox = [];
  var sendingSignal = false;
  var failedOnce = false;
  var mediaFailed = false; /* said plainly until the media connects after all */

  function say(text, bad) {
    stateLine.textContent = text;
    stateLine.classList.toggle("not-sent", !!bad);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": data("csrf") }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        answer.status = response.status;
        return answer;
      });
    });
  }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  function announce(name) {
    document.dispatchEvent(new CustomEvent(name, { detail: { stream: stream, kind: kind } }));
  }

  function constraints() {
    return {
      /* Modest for poor networks: VGA at 15 frames a second, Opus voice with echo cancellation. */
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: withVideo ? { facingMode: facing, width: { ideal: 640 }, height: { ideal: 480 },
                           frameRate: { ideal: 15, max: 15 } } : false
    };
  }

  /* Ends everything on this page: the camera stops and the recorder is told. */
  function finish(text, bad) {
    if (finished) return;
    finished = true;
    clearInterval(tick);
    clearTimeout(connectTimer);
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    announce("portal-call-ended");
    controls.hidden = true;
    if (selfView) selfView.hidden = true;
    say(text, bad);
  }

  /* Signals leave in the order they were made (an answer before its candidates), each retried until sent. */
  function signal(kindOfSignal, body) {
    outbox.push({ call: call.id, kind: kindOfSignal, body: body });
    flush();
  }

  function flush() {
    if (sendingSignal || !outbox.length || finished) return;
    sendingSignal = true;
    post(data("signals"), outbox[0]).then(function (answer) {
      sendingSignal = false;
      if (answer.status === 201 || answer.status === 400 || answer.status === 409) outbox.shift();
      if (answer.status === 409) return;
      flush();
    }, function () {
      sendingSignal = false;
      setTimeout(flush, 1000);
    });
  }

  function connectionChanged() {
    var state = pc.connectionState || pc.iceConnectionState;
    if (state === "connected" || state === "completed") {
      clearTimeout(connectTimer);
      mediaFailed = false;
      say(msg("connected"));
      post(data("report"), { call: call.id, event: "connected" });
    } else if (state === "failed") {
      failed();
    }
  }

  function failed() {
    clearTimeout(connectTimer);
    mediaFailed = true;
    say(msg("failed"), true);
    if (!failedOnce) {
      failedOnce = true;
      post(data("report"), { call: call.id, event: "failed" });
    }
  }

  function peer() {
    pc = new RTCPeerConnection(ice);
    stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
    pc.onicecandidate = function (event) {
      if (event.candidate) signal("candidate", event.candidate.toJSON());
    };
    pc.ontrack = function (event) {
      /* Silent: nothing the dispatcher says is ever played on this phone. */
      if (event.track.kind === "audio" && remoteAudio && !silent) {
        remoteAudio.srcObject = event.streams[0] || new MediaStream([event.track]);
      }
    };
    pc.onconnectionstatechange = connectionChanged;
    pc.oniceconnectionstatechange = connectionChanged;
  }

  function onOffer(offer) {
    try {
      if (!pc) peer();
    } catch (error) {
      return failed();
    }
    remoteSet = false;
    clearTimeout(connectTimer);
    connectTimer = setTimeout(function () {
      if (pc && pc.connectionState !== "connected") failed();
    }, connectTimeout * 1000);
    pc.setRemoteDescription(offer)
      .then(function () {
        remoteSet = true;
        pendingCandidates.splice(0).forEach(function (candidate) { pc.addIceCandidate(candidate).catch(function () {}); });
        return pc.createAnswer();
      })
      .then(function (answer) { return pc.setLocalDescription(answer); })
      .then(function () { signal("answer", { type: "answer", sdp: pc.localDescription.sdp }); })
      .catch(failed);
  }

  function onSignal(item) {
    after = Math.max(after, item.id);
    if (item.kind === "offer") onOffer(item.body);
    else if (item.kind === "candidate" && pc && remoteSet) pc.addIceCandidate(item.body).catch(function () {});
    else if (item.kind === "candidate") pendingCandidates.push(item.body);
  }

  function onState(answer) {
    var state = answer.call.state;
    version = answer.call.version;
    if (!answer.alarm_open) return finish(msg("alarm-ended"));
    if (state === "ended") return finish(msg("ended"));
    if (state === "held") say(msg("held"));
    else if (state === "connected" && mediaFailed) say(msg("failed"), true);
    else if (state === "connected" && (!pc || pc.connectionState !== "connected")) say(msg("connecting"));
    else if (state === "connected") say(msg("connected"));
    if (state !== "ringing") clearInterval(tick);
  }

  function poll() {
    if (finished) return;
    var url = data("poll") + "?call=" + call.id + "&after=" + after + "&version=" + version + "&wait=8";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (answer) {
        (answer.signals || []).forEach(onSignal);
        onState(answer);
        setTimeout(poll, 250);
      }, function () {
        if (!pc || pc.connectionState !== "connected") say(msg("offline"), true);
        setTimeout(poll, 2000);
      });
  }

  function waiting() {
    var seconds = (Date.now() - startedAt) / 1000;
    say(fill(msg(seconds < ringTimeout ? "waiting" : "no-answer"), { time: clock(seconds) }), seconds >= ringTimeout);
  }

  function ring() {
    post(data("start")).then(function (answer) {
      if (answer.status !== 201) {
        if (answer.status === 409) return finish(answer.error || msg("alarm-ended"), true);
        throw new Error("HTTP " + answer.status);
      }
      call = answer.call;
      ice = answer.ice;
      ringTimeout = answer.ring_timeout_s || ringTimeout;
      connectTimeout = answer.connect_timeout_s || connectTimeout;
      version = 0;
      startedAt = Date.now();
      waiting();
      tick = setInterval(waiting, 1000);
      poll();
    }).catch(function () {
      say(msg("offline"), true);
      setTimeout(ring, 3000);
    });
  }

  function switchCamera() {
    facing = facing === "user" ? "environment" : "user";
    navigator.mediaDevices.getUserMedia({ video: constraints().video }).then(function (fresh) {
      var track = fresh.getVideoTracks()[0];
      var old = stream.getVideoTracks()[0];
      if (pc) {
        pc.getSenders().forEach(function (sender) {
          if (sender.track && sender.track.kind === "video") sender.replaceTrack(track);
        });
      }
      stream.removeTrack(old);
      old.stop();
      stream.addTrack(track);
      selfView.srcObject = stream;
      announce("portal-call-media"); /* the recorder starts a new part with the new camera */
    }).catch(function () { facing = facing === "user" ? "environment" : "user"; });
  }

  function wire() {
    controls.hidden = false;
    var mute = $("call-mute");
    mute.addEventListener("click", function () {
      var on = stream.getAudioTracks().some(function (track) { return track.enabled; });
      stream.getAudioTracks().forEach(function (track) { track.enabled = !on; });
      mute.textContent = msg(on ? "unmute" : "mute");
      mute.setAttribute("aria-pressed", on ? "true" : "false");
    });
    if ($("call-switch")) $("call-switch").addEventListener("click", switchCamera);
    var dimmer = $("call-dimmer");
    if (dimmer) {
      $("call-dim").addEventListener("click", function () { dimmer.hidden = false; });
      dimmer.addEventListener("click", function () { dimmer.hidden = true; });
    }
    $("call-end").addEventListener("click", function () {
      if (call) post(data("hang-up"), { call: call.id });
      finish(msg("ended"));
    });
    window.addEventListener("pagehide", function () { announce("portal-call-ended"); });
  }

  if (!window.RTCPeerConnection || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(msg("unsupported"), true);
    return;
  }
  say(msg("camera"));
  navigator.mediaDevices.getUserMedia(constraints()).then(function (media) {
    stream = media;
    if (selfView) {
      selfView.srcObject = stream;
      selfView.hidden = false;
    }
    announce("portal-call-media");
    wire();
    ring();
  }, function () {
    post(data("report"), { event: "no_camera" });
    say(msg("no-camera"), true);
  });
})();
