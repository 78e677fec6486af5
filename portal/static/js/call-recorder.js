/* The caller's recording as evidence (templates/alarm/sender.html #call-recorder; the server side is
 * portal/calls/recording.py).
 *
 * When the call's script (call.js) has the caller's camera and microphone it dispatches
 * `portal-call-media` on document with detail.stream; this records that stream (MediaRecorder, a chunk
 * every 3 s, a modest bit rate for poor networks) and uploads each chunk in order as it comes, whether
 * the call connects or not. Uploads go through one queue: a chunk is removed from it only once the
 * server has stored it; network failures, 5xx and 429 are retried (waiting longer each time, and at
 * once when the phone is back online) for as long as the page is open, so no chunk is dropped. The
 * server answers a repeated chunk with the same bytes as stored (200), so a retry after a lost answer
 * is harmless. `portal-call-ended` (or leaving the page) stops the recorder and sends "end" with the
 * number of chunks made, after the last chunk.
 *
 * Progress is on #call-recorder (data-state: recording, uploading, saved, refused; data-sent;
 * data-pending) and in a `portal-call-recording` event on document, for the call's page to show. */
(function () {
  "use strict";

  var box = document.getElementById("call-recorder");
  if (!box || !window.fetch || typeof window.MediaRecorder !== "function") return;

  var startUrl = box.getAttribute("data-recording-url");
  var live = document.getElementById("alarm-live");
  var csrf = (live && live.getAttribute("data-csrf")) || "";
  // WebM (VP8 and Opus) where it is recorded (Chromium, Firefox), else MP4 (Safari).
  var VIDEO = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp8", "video/webm", "video/mp4"];
  var AUDIO = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];
  var VIDEO_BPS = 250000;  // with 32 kbit/s of audio about 35 KB/s: it keeps up on a poor 3G link
  var AUDIO_BPS = 32000;
  var SLICE_MS = 3000;
  var FIRST_DELAY_MS = 1000;
  var LONGEST_DELAY_MS = 30000;
  var MAX_RESTARTS = 5;

  var current = null;

  function pick(types) {
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  function report(rec, state) {
    rec.state = state;
    box.setAttribute("data-state", state);
    box.setAttribute("data-sent", String(rec.sent));
    box.setAttribute("data-pending", String(rec.queue.length));
    document.dispatchEvent(new CustomEvent("portal-call-recording",
      { detail: { state: state, sent: rec.sent, pending: rec.queue.length } }));
  }

  function post(url, body, type, keepalive) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin", keepalive: !!keepalive, cache: "no-store",
      headers: { "Content-Type": type, Accept: "application/json", "X-CSRF-Token": csrf }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        answer.status = response.status;
        return answer;
      });
    });
  }

  function baseType(mime) { return mime.split(";")[0].trim(); }

  function send(rec, job) {
    if (job.kind === "start") {
      rec.mime = rec.recorder.mimeType || rec.mime;
      return post(startUrl, JSON.stringify({ mime: rec.mime }), "application/json");
    }
    if (job.kind === "chunk") {
      if (job.seq === undefined) {
        // Larger than the server takes in one request: the same bytes in several chunks (only
        // their concatenation matters). Numbered when first sent, and kept for every retry.
        if (rec.maxChunk && job.blob.size > rec.maxChunk) {
          var pieces = [];
          for (var at = 0; at < job.blob.size; at += rec.maxChunk) {
            pieces.push({ kind: "chunk", blob: job.blob.slice(at, at + rec.maxChunk) });
          }
          rec.queue.splice.apply(rec.queue, [0, 1].concat(pieces));
          job = pieces[0];
        }
        job.seq = rec.nextSeq++;
      }
      return post(rec.chunksUrl + job.seq, job.blob, baseType(rec.mime));
    }
    return post(rec.endUrl, JSON.stringify({ chunks: rec.nextSeq, duration_ms: rec.duration }), "application/json");
  }

  function pump(rec) {
    if (rec.busy || rec.dead) return;
    clearTimeout(rec.timer);
    var job = rec.queue[0];
    if (!job) {
      if (rec.finished) report(rec, "saved");
      return;
    }
    rec.busy = true;
    report(rec, "uploading");
    send(rec, job).then(function (answer) {
      rec.busy = false;
      if (answer.status >= 200 && answer.status < 300) {
        done(rec, rec.queue.shift(), answer);
        rec.delay = FIRST_DELAY_MS;
        pump(rec);
      } else if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
        later(rec);
      } else {
        refused(rec);  // 4xx: sending it again cannot succeed (the limits, an alarm long ended)
      }
    }, function () {
      rec.busy = false;
      later(rec);  // no network: wait and try again
    });
  }

  function done(rec, job, answer) {
    if (job.kind === "start") {
      rec.chunksUrl = answer.chunks_url;
      rec.endUrl = answer.end_url;
      rec.maxChunk = answer.max_chunk_bytes;
    } else if (job.kind === "chunk") {
      rec.sent += 1;
    } else {
      rec.finished = true;
    }
  }

  function later(rec) {
    report(rec, "uploading");
    rec.timer = setTimeout(function () { pump(rec); }, rec.delay);
    rec.delay = Math.min(rec.delay * 2, LONGEST_DELAY_MS);
  }

  function refused(rec) {
    rec.dead = true;
    stop(rec);
    report(rec, "refused");
  }

  function stop(rec) {
    rec.stopped = true;
    if (rec.recorder.state !== "inactive") {
      try { rec.recorder.stop(); } catch (e) { /* already stopping */ }
    }
  }

  function isLive(stream) {
    return stream.getTracks().some(function (track) { return track.readyState === "live"; });
  }

  function begin(stream, restarts) {
    var video = stream.getVideoTracks().length > 0;
    var mime = pick(video ? VIDEO : AUDIO);
    var options = { audioBitsPerSecond: AUDIO_BPS };
    if (mime) options.mimeType = mime;
    if (video) options.videoBitsPerSecond = VIDEO_BPS;
    var recorder;
    try {
      recorder = new MediaRecorder(stream, options);
    } catch (e) {
      return;  // this browser cannot record the stream: the call goes on without a recording
    }
    var rec = { recorder: recorder, stream: stream, mime: mime || (video ? "video/webm" : "audio/webm"),
                queue: [{ kind: "start" }], nextSeq: 0, sent: 0, delay: FIRST_DELAY_MS, started: Date.now(),
                restarts: restarts || 0 };
    recorder.addEventListener("dataavailable", function (event) {
      if (!event.data || !event.data.size || rec.dead) return;
      rec.queue.push({ kind: "chunk", blob: event.data });
      pump(rec);
    });
    recorder.addEventListener("stop", function () {
      if (rec.dead || rec.ended) return;
      rec.ended = true;
      rec.duration = Date.now() - rec.started;
      rec.queue.push({ kind: "end" });
      pump(rec);
      // The recorder stopped by itself (a track of the stream was swapped or failed) while the call
      // goes on: what it recorded is complete as it is; the rest goes into a new recording.
      if (!rec.stopped && current === rec && isLive(stream) && rec.restarts < MAX_RESTARTS) {
        begin(stream, rec.restarts + 1);
      }
    });
    current = rec;
    recorder.start(SLICE_MS);
    report(rec, "recording");
    pump(rec);
  }

  document.addEventListener("portal-call-media", function (event) {
    var stream = event.detail && event.detail.stream;
    if (!stream || typeof stream.getTracks !== "function") return;
    if (current && current.stream === stream && current.recorder.state !== "inactive") return;
    if (current) stop(current);
    begin(stream);
  });

  document.addEventListener("portal-call-ended", function () {
    if (current) stop(current);
  });

  window.addEventListener("online", function () {
    if (current) pump(current);
  });

  // Leaving the page: the last chunk may not make it out, so "end" goes now only if everything else
  // has; otherwise the server finishes the recording once it has been silent for a while.
  window.addEventListener("pagehide", function () {
    var rec = current;
    if (!rec || rec.dead || rec.finished) return;
    stop(rec);
    if (rec.endUrl && !rec.busy && rec.queue.every(function (job) { return job.kind === "end"; })) {
      rec.duration = rec.duration || Date.now() - rec.started;
      post(rec.endUrl, JSON.stringify({ chunks: rec.nextSeq, duration_ms: rec.duration }), "application/json", true);
    }
  });
}());
