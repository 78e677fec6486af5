/* Resumable uploads (README, "Resumable uploads"): every <input type="file" data-resumable="<purpose>">
 * sends its files to the portal in chunks as soon as they are chosen (tus 1.0, through the vendored
 * tus-js-client), before the form is sent. Each file shows its progress with the time left; a dropped
 * connection resumes where it stopped when the network is back, and a file chosen again after a reload
 * resumes (or is found finished) thanks to the upload URLs tus-js-client keeps in localStorage.
 *
 * A finished file becomes a hidden input `<name>:upload` with its upload's id; when the form is sent
 * the file inputs are left out (disabled for that moment), so the files are not sent twice. A form sent
 * while files are still on their way waits for them, then goes by itself. A file the portal refuses
 * (wrong type, too large) says why at once, after one chunk at most, and holds the form back.
 *
 * Without this script, or without the browser features it needs, the plain multipart form works as
 * before. Words come from the script element's data-msg-* attributes, in the page's language. No
 * inline code (strict CSP). */
(function () {
  "use strict";

  var script = document.currentScript;
  if (window.portalResumableUploads) return; // included beside each form that takes files: once is enough
  window.portalResumableUploads = true;
  var inputs = document.querySelectorAll('input[type="file"][data-resumable]');
  if (!script || !inputs.length || !window.Promise || !window.localStorage || !window.Blob) return;
  var config = script.dataset;

  function msg(name, values) {
    var text = config["msg" + name] || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function duration(seconds) {
    if (!isFinite(seconds)) return "";
    if (seconds < 60) return msg("Seconds", { n: Math.max(1, Math.round(seconds)) });
    return msg("Minutes", { n: Math.round(seconds / 60) });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function loadClient() {
    if (window.tus) return Promise.resolve(window.tus);
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = config.client;
      tag.onload = function () { resolve(window.tus); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  /* One chosen file on its way: the tus upload, its row in the list and, once finished, its hidden input. */
  function Entry(field, file) {
    this.field = field;
    this.file = file;
    this.state = "sending"; // sending, done, refused, offline
    this.row = element("li", "resumable-file");
    this.row.appendChild(element("span", "resumable-name", file.name));
    this.bar = element("progress");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", msg("Progress", { name: file.name }));
    this.row.appendChild(this.bar);
    this.text = element("span", "resumable-status", msg("Starting"));
    this.row.appendChild(this.text);
    field.list.appendChild(this.row);
  }

  Entry.prototype.start = function (tus) {
    var self = this;
    var input = this.field.input;
    this.upload = new tus.Upload(this.file, {
      endpoint: config.endpoint,
      chunkSize: Number(config.chunk),
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata: { filename: this.file.name, filetype: this.file.type, purpose: input.dataset.resumable },
      headers: { "X-CSRF-Token": this.field.token, Accept: "application/json" },
      removeFingerprintOnSuccess: false, // a finished upload is found again if the file is chosen after a reload
      onProgress: function (sent, total) { self.progress(sent, total); },
      onSuccess: function () { self.finished(); },
      onError: function (error) { self.failed(error); }
    });
    this.since = null;
    this.upload.findPreviousUploads().then(function (previous) {
      if (previous.length) self.upload.resumeFromPreviousUpload(previous[0]);
      self.upload.start();
    });
  };

  Entry.prototype.progress = function (sent, total) {
    var now = Date.now();
    if (!this.since) this.since = { time: now, bytes: sent }; // measured from this (re)start
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    var rate = (sent - this.since.bytes) / Math.max(1, now - this.since.time) * 1000;
    this.bar.value = percent;
    this.state = "sending";
    this.text.textContent = rate > 0 && now - this.since.time > 500
      ? msg("Sending", { percent: percent + "%", left: duration((total - sent) / rate) })
      : msg("Percent", { percent: percent + "%" });
  };

  Entry.prototype.finished = function () {
    this.state = "done";
    this.bar.value = 100;
    this.text.textContent = msg("Done");
    this.row.classList.add("resumable-done");
    this.hidden = element("input");
    this.hidden.type = "hidden";
    this.hidden.name = this.field.input.name + ":upload";
    this.hidden.value = this.upload.url.split("/").pop();
    this.field.input.insertAdjacentElement("afterend", this.hidden);
    this.field.form.changed();
  };

  Entry.prototype.failed = function (error) {
    var self = this;
    var response = error && error.originalResponse;
    var status = response ? response.getStatus() : 0;
    if (status >= 400 && status < 500 && status !== 409 && status !== 423) {
      var reason = "";
      try { reason = JSON.parse(response.getBody()).error || ""; } catch (ignored) { reason = ""; }
      this.state = "refused";
      this.row.classList.add("resumable-refused");
      this.text.textContent = reason || msg("Refused");
      this.text.setAttribute("role", "alert");
      this.field.form.changed();
      return;
    }
    // The network (or the server) is gone for now: start again when it is back, from where it stopped.
    this.state = "offline";
    this.since = null;
    this.text.textContent = msg("Offline");
    var again = function () {
      window.removeEventListener("online", again);
      clearTimeout(self.timer);
      if (self.state === "offline") self.upload.start();
    };
    window.addEventListener("online", again);
    this.timer = setTimeout(again, 15000);
  };

  Entry.prototype.forget = function () { // sent with its form: nothing left to do on the server
    this.state = "dropped";
    if (this.hidden) this.hidden.remove();
    this.row.remove();
    clearTimeout(this.timer);
  };

  Entry.prototype.drop = function () {
    this.state = "dropped";
    if (this.hidden) this.hidden.remove();
    this.row.remove();
    clearTimeout(this.timer);
    if (this.upload) this.upload.abort(true).catch(function () {}); // deleted on the server too
  };

  /* A form with one or more upgraded inputs: holds its sending back until every file is up. */
  function Form(form) {
    var self = this;
    this.form = form;
    this.fields = [];
    this.submitter = null;
    this.waiting = false;
    this.note = element("p", "form-text resumable-note");
    this.note.setAttribute("role", "status");
    this.note.hidden = true;
    // Capture phase, like static/js/pow.js: before the tip form's own sending (static/js/tip-form.js).
    form.addEventListener("submit", function (event) {
      self.fields.forEach(function (f) { // a script emptied the input after sending it (static/js/alarm-live.js)
        if (!f.input.value && f.entries.length) { f.entries.forEach(function (e) { e.forget(); }); f.entries = []; }
      });
      var entries = self.entries();
      if (entries.some(function (e) { return e.state === "refused"; })) {
        event.preventDefault();
        event.stopImmediatePropagation();
        self.say(msg("Remove"));
        return;
      }
      if (entries.some(function (e) { return e.state !== "done"; })) {
        event.preventDefault();
        event.stopImmediatePropagation();
        self.waiting = true;
        self.submitter = event.submitter || null;
        self.say(msg("Waiting"));
        return;
      }
      // Every file is up: the form names them; the inputs themselves are left out of this sending.
      var sent = self.fields.filter(function (f) { return f.entries.length; });
      sent.forEach(function (f) { f.input.disabled = true; });
      setTimeout(function () { sent.forEach(function (f) { f.input.disabled = false; }); }, 0);
    }, true);
  }

  Form.prototype.entries = function () {
    return this.fields.reduce(function (all, f) { return all.concat(f.entries); }, []);
  };

  Form.prototype.say = function (text) {
    if (!this.note.parentNode) {
      var button = this.form.querySelector('button[type="submit"], input[type="submit"], button:not([type])');
      if (button) button.insertAdjacentElement("beforebegin", this.note); else this.form.appendChild(this.note);
    }
    this.note.textContent = text;
    this.note.hidden = !text;
  };

  Form.prototype.changed = function () {
    var entries = this.entries();
    if (!this.waiting) return;
    if (entries.some(function (e) { return e.state === "refused"; })) {
      this.waiting = false;
      this.say(msg("Remove"));
    } else if (entries.every(function (e) { return e.state === "done"; })) {
      this.waiting = false;
      this.say("");
      if (this.form.requestSubmit) this.form.requestSubmit(this.submitter || undefined); else this.form.submit();
    }
  };

  function upgrade(tus, input) {
    var form = input.form;
    var token = form && form.querySelector('input[name="csrf_token"]');
    if (!form || !token || !input.name) return;
    if (!form.resumable) form.resumable = new Form(form);
    var field = { input: input, form: form.resumable, token: token.value, entries: [], list: element("ul", "resumable-files") };
    field.list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", field.list);
    form.resumable.fields.push(field);
    function chosen() {
      field.entries.forEach(function (e) { e.drop(); });
      field.entries = Array.prototype.map.call(input.files || [], function (file) { return new Entry(field, file); });
      field.entries.forEach(function (e) { e.start(tus); });
    }
    input.addEventListener("change", chosen);
    if (input.files && input.files.length) chosen(); // chosen before this script was ready
  }

  loadClient().then(function (tus) {
    if (!tus || !tus.isSupported) return;
    inputs.forEach(function (input) { upgrade(tus, input); });
  }, function () { /* no client: the plain form */ });
})();
