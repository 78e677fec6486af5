/* Tip form and /status reply form: enhances each <div data-tip-form> (templates/tips/_form_box.html).
 *
 * Without this script both forms are plain multipart forms and work as they are. With it:
 *  - sending goes through XMLHttpRequest with a progress bar (percent) and a cancel button; the
 *    server's answer (the receipt, or the form again with its messages) replaces the page, and a
 *    failed connection says clearly that nothing was sent and keeps the form as it is;
 *  - the files' names, times and the shared position go along in attachment_meta, for the police's
 *    checks of old or mislabelled files;
 *  - choosing a danger answer shows the "call 110 now" panel;
 *  - the receiving unit on "automatic" names the unit the marked place goes to (/tips/route).
 * Every word comes from data-msg-* attributes, already in the page's language. No inline code or
 * style (strict CSP); no requests beyond this site. */
(function () {
  "use strict";

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function chosenFiles(form) {
    var files = [];
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { files.push(file); });
    });
    return files;
  }

  /* The position the person shared with "use my location" (a measured accuracy), not a map tap. */
  function sharedPosition(form) {
    var picker = form.querySelector("fieldset[data-location-picker]");
    if (!picker) return null;
    var value = function (name) {
      var input = picker.querySelector('input[name="' + name + '"]');
      return input ? input.value.trim() : "";
    };
    if (!value("accuracy_m") || !value("lat") || !value("lon")) return null;
    var lat = Number(value("lat")), lon = Number(value("lon"));
    return isNaN(lat) || isNaN(lon) ? null : { lat: lat, lon: lon };
  }

  function describeFiles(form) {
    var position = sharedPosition(form);
    return chosenFiles(form).map(function (file) {
      var note = { name: file.name, lastModified: file.lastModified, size: file.size, type: file.type };
      if (position) { note.lat = position.lat; note.lon = position.lon; }
      return note;
    });
  }

  /* The limits stated on the form, checked before anything is sent (the server checks again). */
  function limitProblem(form) {
    var box = form.querySelector("[data-tip-attachments]");
    if (!box) return "";
    var data = box.dataset;
    var files = chosenFiles(form);
    if (files.length > Number(data.maxFiles)) return data.msgTooMany;
    var total = 0;
    for (var i = 0; i < files.length; i++) {
      var kind = (files[i].type || "").split("/")[0];
      var limit = Number(data[kind + "Bytes"]);
      if (limit && files[i].size > limit) return fill(data.msgTooBig, { name: files[i].name });
      total += files[i].size;
    }
    return total > Number(data.totalBytes) ? data.msgTotal : "";
  }

  function FormBox(box) {
    this.box = box;
    this.data = box.dataset;
    this.form = box.querySelector("form");
    this.xhr = null;
  }

  FormBox.prototype.start = function () {
    if (!this.form) return;
    this.watchFiles();
    this.watchDanger();
    this.watchUnit();
    if (window.XMLHttpRequest && window.FormData) this.sendWithProgress();
  };

  /* "Files chosen: 3" under the inputs, so a phone user sees the camera's shot was taken. */
  FormBox.prototype.watchFiles = function () {
    var form = this.form;
    var attachments = form.querySelector("[data-tip-attachments]");
    var note = form.querySelector("[data-tip-files-note]");
    if (!attachments || !note) return;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var count = chosenFiles(form).length;
        note.textContent = count ? fill(attachments.dataset.msgChosen, { count: count }) : "";
      });
    });
  };

  /* A danger answer shows the panel at the top, and keeps it in sight; it is never hidden again. */
  FormBox.prototype.watchDanger = function () {
    var panel = document.querySelector("[data-danger-panel]");
    if (!panel) return;
    this.form.querySelectorAll("select[data-danger-values]").forEach(function (select) {
      var values;
      try { values = JSON.parse(select.getAttribute("data-danger-values")) || []; } catch (error) { values = []; }
      select.addEventListener("change", function () {
        if (values.indexOf(select.value) === -1 || !panel.hidden) return;
        panel.hidden = false;
        panel.classList.add("is-revealed");
        panel.setAttribute("role", "alert");
      });
    });
  };

  /* "Automatic: <unit>": asks the server which unit the point goes to whenever the point changes
     (typed, picked on the map, or from the location button, which changes the picker's status line). */
  FormBox.prototype.watchUnit = function () {
    var data = this.data;
    var select = this.form.querySelector("select[data-tip-unit]");
    var picker = this.form.querySelector("fieldset[data-location-picker]");
    if (!data.routeUrl || !select || !picker || !window.fetch) return;
    var lat = picker.querySelector('input[name="lat"]');
    var lon = picker.querySelector('input[name="lon"]');
    var automatic = select.querySelector('option[value=""]');
    var status = picker.querySelector(".location-status");
    var note = element("p", "form-text tip-routed");
    note.setAttribute("role", "status");
    note.id = select.id + "-routed";
    select.insertAdjacentElement("afterend", note);
    var routed = null; // the unit's name, or "" when the point is outside every area
    var asked = null;

    function show() {
      automatic.textContent = routed ? fill(data.msgAutomatic, { unit: routed }) : data.msgAutomaticNone;
      if (select.value !== "") note.textContent = "";
      else if (routed) note.textContent = fill(data.msgRouted, { unit: routed });
      else note.textContent = routed === "" ? data.msgOutside : "";
    }

    function check() {
      var key = lat.value.trim() + "," + lon.value.trim();
      if (key === asked) return;
      asked = key;
      if (!lat.value.trim() || !lon.value.trim()) { routed = null; show(); return; }
      var url = data.routeUrl + "?lat=" + encodeURIComponent(lat.value.trim()) +
        "&lon=" + encodeURIComponent(lon.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { status: response.status, body: body }; });
        })
        .then(function (answer) {
          if (key !== asked) return; // the point moved meanwhile
          routed = answer.status === 200 ? answer.body.unit : (answer.status === 404 ? "" : null);
          show();
        })
        .catch(function () { if (key === asked) { routed = null; show(); } });
    }

    [lat, lon].forEach(function (input) {
      input.addEventListener("input", check);
      input.addEventListener("change", check);
    });
    if (status && window.MutationObserver) {
      new MutationObserver(check).observe(status, { childList: true, characterData: true, subtree: true });
    }
    select.addEventListener("change", show);
    check();
  };

  FormBox.prototype.sendWithProgress = function () {
    var self = this;
    var data = this.data;
    var form = this.form;
    var panel = element("div", "tip-progress");
    panel.hidden = true;
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", data.msgProgress);
    var text = element("p", "tip-progress-text");
    text.setAttribute("role", "status");
    var cancel = element("button", "btn tip-cancel", data.msgCancel);
    cancel.type = "button";
    panel.appendChild(bar);
    panel.appendChild(text);
    panel.appendChild(cancel);
    var problem = element("p", "alert alert-danger tip-send-problem");
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    // Just above the send button, where the person is looking when they press it.
    var buttons = form.querySelector(".deform-form-buttons");
    var parent = buttons ? buttons.parentNode : form;
    parent.insertBefore(problem, buttons);
    parent.insertBefore(panel, buttons);

    cancel.addEventListener("click", function () { if (self.xhr) self.xhr.abort(); });

    function busy(sending) {
      panel.hidden = !sending;
      form.querySelectorAll('button[type="submit"], button:not([type])').forEach(function (button) {
        button.disabled = sending;
      });
    }

    function say(percent) {
      bar.value = percent;
      var shown;
      try {
        shown = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent" }).format(percent / 100);
      } catch (error) {
        shown = percent + " %";
      }
      text.textContent = fill(data.msgSending, { percent: shown });
    }

    function fail(message) {
      self.xhr = null;
      busy(false);
      problem.textContent = message;
      problem.hidden = false;
      problem.scrollIntoView({ block: "center" });
    }

    // Bubble phase: static/js/pow.js holds the form back (capture phase) until its check is solved.
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || self.xhr) { event.preventDefault(); return; }
      event.preventDefault();
      problem.hidden = true;
      var limit = limitProblem(form);
      if (limit) { fail(limit); return; }
      var meta = form.querySelector('input[name="attachment_meta"]');
      if (meta) meta.value = JSON.stringify(describeFiles(form));
      var body;
      try { body = new FormData(form, event.submitter || undefined); } catch (error) {
        body = new FormData(form);
        if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
      }
      var xhr = new XMLHttpRequest();
      self.xhr = xhr;
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable && progress.total) say(Math.floor((progress.loaded / progress.total) * 100));
      });
      xhr.upload.addEventListener("load", function () {
        say(100);
        text.textContent += " " + data.msgProcessing;
      });
      xhr.addEventListener("load", function () {
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (!xhr.status || type.indexOf("text/html") !== 0 || !xhr.responseText) { fail(data.msgFailed); return; }
        // The receipt, or the form again with its messages: either way the server's page, whole.
        document.open();
        document.write(xhr.responseText);
        document.close();
        window.scrollTo(0, 0);
      });
      xhr.addEventListener("error", function () { fail(data.msgFailed); });
      xhr.addEventListener("timeout", function () { fail(data.msgFailed); });
      xhr.addEventListener("abort", function () { fail(data.msgCancelled); });
      busy(true);
      say(0);
      xhr.send(body);
    });
  };

  document.querySelectorAll("[data-tip-form]").forEach(function (box) {
    if (box.dataset.tipFormReady) return; // the script is included once per form box
    box.dataset.tipFormReady = "1";
    new FormBox(box).start();
  });
})();
