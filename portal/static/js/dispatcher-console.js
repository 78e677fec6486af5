/* Dispatcher console (templates/staff/alarms.html) and one alarm (templates/staff/alarm.html).
 *
 * Without this script both pages are plain HTML with a refresh link and ordinary forms. With it:
 * the console polls /staff/alarms/feed every poll-ms and adds or updates rows in place; a new alarm
 * gets a visible cue (highlighted row, a banner, a count in the tab title) and, once the dispatcher
 * has pressed "Enable sound" (browsers refuse audio before a user gesture), a short beep made with
 * the Web Audio API (no audio file). The alarm page polls its /updates for thread lines, positions
 * and state, sends messages without leaving the page, and draws the positions on a small SVG map
 * over the units' outlines from /units.geojson (the same in the console's panel beside the list).
 * Every word shown comes from data-msg-* attributes,
 * already in the page's language; text from the network is only ever set as textContent. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var MAX_BACKOFF_MS = 10000;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function clock() {
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join(":");
  }

  /* Two renderings of the same row (the server's and this script's) differ only in white space. */
  function sameText(a, b) {
    return a.textContent.replace(/\s+/g, "") === b.textContent.replace(/\s+/g, "");
  }

  function flash(node) {
    node.classList.add("is-changed");
    window.setTimeout(function () { node.classList.remove("is-changed"); }, 4000);
  }

  function el(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* GET JSON; "signed-out" when the session ended (the server then answers with the sign-in page). */
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 403 || response.redirected || type.indexOf("json") < 0) {
          var error = new Error("signed-out");
          error.signedOut = true;
          throw error;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  /* Polls `next()` every `every` ms, backing off while the server is unreachable; stop() ends it
   * (the console's panel stops the poll of the alarm it no longer shows). */
  function poller(every, next, onError) {
    var delay = every;
    var stopped = false;
    function tick() {
      if (stopped) return;
      next().then(function () {
        delay = every;
      }, function (error) {
        if (error && error.signedOut) { stopped = true; }
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
        onError(error);
      }).then(function () {
        if (!stopped) window.setTimeout(tick, delay);
      });
    }
    window.setTimeout(tick, every);
    return { stop: function () { stopped = true; } };
  }

  /* ---------------- the console ---------------- */

  function Beeper() {
    this.context = null;
    this.on = false;
  }

  Beeper.prototype.enable = function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return false;
    if (!this.context) this.context = new Context();
    if (this.context.state === "suspended") this.context.resume();
    this.on = true;
    return true;
  };

  /* Two short tones, loud enough to notice, short enough not to startle. */
  Beeper.prototype.beep = function () {
    if (!this.on || !this.context) return false;
    var context = this.context;
    var start = context.currentTime + 0.01;
    [0, 0.22].forEach(function (offset) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.18);
    });
    return true;
  };

  function Console(root) {
    this.root = root;
    this.data = root.dataset;
    this.cursor = this.data.cursor;
    this.openBody = root.querySelector("[data-open-rows]");
    this.endedBody = root.querySelector("[data-ended-rows]");
    this.status = root.querySelector("[data-console-status]");
    this.banner = root.querySelector("[data-new-banner]");
    this.count = root.querySelector("[data-open-count]");
    this.known = {};
    this.unseen = 0;
    this.title = document.title;
    this.beeper = new Beeper();
    this.beeps = 0;
    var self = this;
    root.querySelectorAll("tr[data-alarm-id]").forEach(function (row) { self.known[row.dataset.alarmId] = true; });
  }

  Console.prototype.start = function () {
    var self = this;
    this.status.setAttribute("role", "status");
    this.say(fill(this.data.msgLive, { time: clock() }));
    var soundBox = this.root.querySelector("[data-sound-box]");
    var toggle = this.root.querySelector("[data-sound-toggle]");
    soundBox.hidden = false;
    toggle.addEventListener("click", function () { self.toggleSound(toggle); });
    // Looking at the page counts as having seen the new alarms: the tab title returns to normal.
    ["focus", "visibilitychange"].forEach(function (name) {
      (name === "focus" ? window : document).addEventListener(name, function () {
        if (!document.hidden) self.seen();
      });
    });
    this.lastContact = clock();
    poller(Number(this.data.pollMs) || 1500, function () { return self.poll(); }, function (error) {
      self.say(error && error.signedOut ? self.data.msgSignedOut : fill(self.data.msgOffline, { time: self.lastContact }));
    });
  };

  Console.prototype.say = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  Console.prototype.toggleSound = function (toggle) {
    if (this.beeper.on) {
      this.beeper.on = false;
      toggle.textContent = this.data.msgSoundOff;
      toggle.setAttribute("aria-pressed", "false");
      return;
    }
    if (!this.beeper.enable()) {
      toggle.textContent = this.data.msgSoundFailed;
      toggle.disabled = true;
      return;
    }
    toggle.textContent = this.data.msgSoundOn;
    toggle.setAttribute("aria-pressed", "true");
    this.beeper.beep(); // a sample, so the dispatcher knows what to listen for
  };

  Console.prototype.poll = function () {
    var self = this;
    var url = this.data.feedUrl + "?cursor=" + encodeURIComponent(this.cursor);
    return getJSON(url).then(function (answer) {
      self.cursor = answer.cursor;
      self.lastContact = clock();
      self.apply(answer);
      self.say(fill(self.data.msgLive, { time: self.lastContact }));
    });
  };

  Console.prototype.apply = function (answer) {
    var self = this;
    var arrived = [];
    // Oldest first, so the newest ends up on top when each is inserted at the top.
    answer.alarms.slice().reverse().forEach(function (alarm) {
      var isNew = !self.known[alarm.id];
      self.known[alarm.id] = true;
      self.place(alarm, isNew);
      if (isNew && alarm.state === "new") arrived.push(alarm);
    });
    // An open row the server no longer counts as open ended outside the feed's window: drop it.
    var open = {};
    answer.open_ids.forEach(function (id) { open[id] = true; });
    this.openBody.querySelectorAll("tr[data-alarm-id]").forEach(function (row) {
      if (!open[row.dataset.alarmId]) row.remove();
    });
    this.count.textContent = String(answer.open_count);
    [this.openBody, this.endedBody].forEach(function (body) {
      body.querySelector(".empty-row").hidden = !!body.querySelector("tr[data-alarm-id]");
    });
    if (arrived.length) this.cue(arrived);
  };

  Console.prototype.where = function (alarm) {
    var parts = [];
    if (alarm.place) parts.push(alarm.place);
    if (alarm.located) {
      /* Isolated left to right (U+2066 ... U+2069): the pair keeps its order in Uyghur text. */
      parts.push("\u2066" + alarm.lat.toFixed(5) + ", " + alarm.lon.toFixed(5) +
                 (alarm.accuracy_m !== null ? " (± " + Math.round(alarm.accuracy_m) + " m)" : "") + "\u2069");
    }
    return parts.length ? parts : [this.data.msgNoPosition];
  };

  Console.prototype.row = function (alarm) {
    var data = this.data;
    var row = el("tr", { id: "alarm-" + alarm.id, "data-alarm-id": alarm.id,
                         "class": "alarm-row state-" + alarm.state + (alarm.flagged ? " is-flagged" : "") });
    if (alarm.located) { row.dataset.lat = alarm.lat; row.dataset.lon = alarm.lon; } // static/js/alarms-map.js
    var idCell = el("td");
    idCell.appendChild(el("a", { href: alarm.url, "aria-label": fill(data.msgOpenLink, { id: alarm.id }) }, alarm.id));
    row.appendChild(idCell);
    var timeCell = el("td");
    timeCell.appendChild(el("time", { datetime: alarm.created_at }, alarm.received));
    row.appendChild(timeCell);
    var stateCell = el("td");
    stateCell.appendChild(el("span", { "class": "tag state-tag" }, alarm.state_label));
    row.appendChild(stateCell);
    var kindCell = el("td", {}, alarm.kind_label);
    if (alarm.flagged) {
      kindCell.appendChild(document.createTextNode(" "));
      kindCell.appendChild(el("span", { "class": "tag flag-tag", title: alarm.flag_reason }, data.msgFlood));
    }
    if (alarm.trip) {
      kindCell.appendChild(document.createTextNode(" "));
      kindCell.appendChild(el("span", { "class": "tag" }, data.msgTrip));
    }
    row.appendChild(kindCell);
    var whereCell = el("td");
    this.where(alarm).forEach(function (part, index) {
      if (index) whereCell.appendChild(el("br"));
      whereCell.appendChild(el("span", index || !alarm.place ? { dir: "ltr" } : {}, part));
    });
    row.appendChild(whereCell);
    var textCell = el("td");
    textCell.appendChild(el("a", { href: alarm.url }, alarm.text || data.msgNoText));
    row.appendChild(textCell);
    row.appendChild(el("td", {}, fill(data.msgCounts, { messages: alarm.public_messages,
                                                         locations: alarm.locations })));
    row.appendChild(el("td", {}, alarm.unit));
    return row;
  };

  /* Puts the alarm's row where it belongs: open ones in state order (new first), newest first. */
  Console.prototype.place = function (alarm, isNew) {
    var old = this.root.querySelector('tr[data-alarm-id="' + alarm.id + '"]');
    var row = this.row(alarm);
    var changed = !old || old.className.indexOf("state-" + alarm.state) < 0 || !sameText(old, row);
    // The arrival cue stays until someone acknowledges the alarm.
    if (old && old.classList.contains("is-arriving") && alarm.state === "new") row.classList.add("is-arriving");
    if (old) old.remove();
    var body = alarm.open ? this.openBody : this.endedBody;
    body.insertBefore(row, this.positionFor(body, alarm));
    if (isNew && alarm.state === "new") row.classList.add("is-arriving");
    else if (changed) flash(row);
  };

  Console.prototype.positionFor = function (body, alarm) {
    var rows = body.querySelectorAll("tr[data-alarm-id]");
    if (!alarm.open) return rows[0] || body.querySelector(".empty-row"); // the latest to end comes first
    var order = { "new": 0, "acknowledged": 1, "dispatched": 2 };
    var rank = order[alarm.state];
    for (var i = 0; i < rows.length; i++) {
      var otherRank = order[(rows[i].className.match(/state-(\w+)/) || [])[1]];
      var otherTime = rows[i].querySelector("time").getAttribute("datetime");
      if (otherRank > rank || (otherRank === rank && otherTime <= alarm.created_at)) return rows[i];
    }
    return body.querySelector(".empty-row");
  };

  Console.prototype.cue = function (arrived) {
    var self = this;
    this.banner.textContent = "";
    arrived.forEach(function (alarm) {
      var line = el("p");
      line.appendChild(el("a", { href: alarm.url }, fill(self.data.msgNewAlarm, {
        id: alarm.id, where: self.where(alarm).join(" · ") })));
      if (alarm.flagged) {
        line.appendChild(document.createTextNode(" "));
        line.appendChild(el("span", { "class": "tag flag-tag" }, self.data.msgFlood));
      }
      self.banner.appendChild(line);
    });
    this.banner.hidden = false;
    this.unseen += arrived.length;
    document.title = fill(this.data.msgTitle, { n: this.unseen }) + " · " + this.title;
    if (this.beeper.beep()) {
      this.beeps += 1;
      this.root.dataset.beeps = String(this.beeps); // lets a test see that the sound was played
    }
    if (!document.hidden && document.hasFocus()) window.setTimeout(function () { self.seen(); }, 15000);
  };

  Console.prototype.seen = function () {
    this.unseen = 0;
    document.title = this.title;
  };

  /* ---------------- the map ---------------- */

  function polygons(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  /* A local plate carree around the points: wide enough to show every accuracy circle, at least 1 km. */
  function frame(points) {
    var metresPerDegree = 111320;
    var mid = points.reduce(function (sum, p) { return sum + p[0]; }, 0) / points.length;
    var squeeze = Math.cos(mid * Math.PI / 180);
    var west = Infinity, east = -Infinity, south = Infinity, north = -Infinity;
    points.forEach(function (p) {
      var radius = (p[2] || 0) / metresPerDegree;
      south = Math.min(south, p[0] - radius); north = Math.max(north, p[0] + radius);
      west = Math.min(west, p[1] - radius / squeeze); east = Math.max(east, p[1] + radius / squeeze);
    });
    var minimum = 1000 / metresPerDegree;
    var height = Math.max(north - south, minimum) * 1.3;
    var width = Math.max((east - west) * squeeze, minimum) * 1.3;
    var centreLat = (north + south) / 2, centreLon = (east + west) / 2;
    var size = 1000, scale = size / Math.max(width, height);
    return {
      viewBox: "0 0 " + (width * scale).toFixed(1) + " " + (height * scale).toFixed(1),
      unit: Math.max(width, height) * scale / 120,
      metre: scale / metresPerDegree,
      x: function (lon) { return ((lon - centreLon) * squeeze + width / 2) * scale; },
      y: function (lat) { return ((centreLat - lat) + height / 2) * scale; }
    };
  }

  function svgEl(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function AlarmMap(figure) {
    this.figure = figure;
    this.box = figure.querySelector(".alarm-map-box");
    this.track = JSON.parse(figure.dataset.track || "[]");
    this.trip = JSON.parse(figure.dataset.tripTrack || "[]");
    this.features = [];
  }

  AlarmMap.prototype.start = function () {
    var self = this;
    if (window.PortalMap && this.figure.dataset.mapTiles) { // the real map (static/js/map.js)
      window.PortalMap.create(this.figure, this.box, this.figure.dataset.msgMapLabel).then(function (made) {
        if (self.stopped) { made.map.remove(); return; } // the panel moved on to another alarm meanwhile
        self.real = made;
        self.draw();
      }, function () { self.real = null; self.sketch(); });
      return;
    }
    this.sketch();
  };

  AlarmMap.prototype.sketch = function () {
    var self = this;
    this.draw();
    fetch(this.figure.dataset.unitsUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : { features: [] }; })
      .then(function (collection) { self.features = collection.features || []; self.draw(); })
      .catch(function () { /* the positions are drawn without the outlines, and written out below */ });
  };

  /* Adds a later position, or moves the one with the same id. Points are [lat, lon, accuracy, id]. */
  AlarmMap.prototype.put = function (point) {
    var index = -1;
    this.track.forEach(function (p, i) { if (point[3] && p[3] === point[3]) index = i; });
    if (index >= 0) this.track[index] = point;
    else this.track.push(point);
    this.draw();
  };

  AlarmMap.prototype.draw = function () {
    var points = this.track.concat(this.trip);
    if (!points.length) return;
    this.figure.hidden = false;
    if (this.real) { window.PortalMap.positions(this.real, this.track, this.trip); return; }
    var project = frame(points);
    var svg = svgEl("svg", { viewBox: project.viewBox, role: "img", "class": "alarm-svg",
                             "aria-label": this.figure.dataset.msgMapLabel });
    this.features.forEach(function (feature) {
      var d = [];
      polygons(feature.geometry).forEach(function (rings) {
        rings.forEach(function (ring) {
          d.push(ring.map(function (p, i) {
            return (i ? "L" : "M") + project.x(p[0]).toFixed(1) + "," + project.y(p[1]).toFixed(1);
          }).join("") + "Z");
        });
      });
      var path = svgEl("path", { d: d.join(""), "class": "unit unit-" + feature.properties.level }, svg);
      svgEl("title", {}, path).textContent = feature.properties.name;
    });
    function line(list, className) {
      if (list.length < 2) return;
      svgEl("polyline", { "class": className, points: list.map(function (p) {
        return project.x(p[1]).toFixed(1) + "," + project.y(p[0]).toFixed(1);
      }).join(" ") }, svg);
    }
    line(this.trip, "trip-line");
    line(this.track, "track-line");
    var first = this.track[0], last = this.track[this.track.length - 1];
    [first, last].forEach(function (p, index) {
      if (!p || (index && p === first)) return;
      if (p[2] && p[2] * project.metre > project.unit) {
        svgEl("circle", { "class": "location-accuracy", cx: project.x(p[1]), cy: project.y(p[0]),
                          r: p[2] * project.metre }, svg);
      }
    });
    this.track.forEach(function (p) {
      svgEl("circle", { "class": "track-dot", cx: project.x(p[1]), cy: project.y(p[0]), r: project.unit * 0.6 }, svg);
    });
    if (last) {
      svgEl("circle", { "class": "location-pin", cx: project.x(last[1]), cy: project.y(last[0]), r: project.unit * 1.8 }, svg);
      svgEl("circle", { "class": "location-dot", cx: project.x(last[1]), cy: project.y(last[0]), r: project.unit * 0.7 }, svg);
    }
    scaleBar(svg, project);
    this.box.textContent = "";
    this.box.appendChild(svg);
  };

  /* A bar of a round distance, about a quarter of the map's width, in its lower corner. */
  function scaleBar(svg, project) {
    var width = Number(project.viewBox.split(" ")[2]), height = Number(project.viewBox.split(" ")[3]);
    var metres = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000].filter(function (m) {
      return m * project.metre <= width / 4;
    }).pop() || 20;
    var length = metres * project.metre, x = project.unit * 3, y = height - project.unit * 3;
    var group = svgEl("g", { "class": "scale-bar", "aria-hidden": "true" }, svg);
    svgEl("path", { d: "M" + x + "," + (y - project.unit) + "V" + y + "H" + (x + length) + "V" + (y - project.unit) },
          group);
    var label = svgEl("text", { x: x, y: y - project.unit * 1.5, "font-size": project.unit * 3 }, group);
    label.textContent = metres >= 1000 ? metres / 1000 + " km" : metres + " m";
  }

  /* ---------------- one alarm ---------------- */

  function AlarmPage(root) {
    this.root = root;
    this.data = root.dataset;
    this.after = Number(this.data.after) || 0;
    this.afterLocation = Number(this.data.afterLocation) || 0;
    this.state = this.data.state;
    this.thread = root.querySelector("[data-thread]");
    this.locations = root.querySelector("[data-locations]");
    this.notice = root.querySelector("[data-state-changed]");
    this.stateLabel = root.querySelector("[data-state-label]");
    this.form = root.querySelector("[data-message-form]");
    var figure = root.querySelector("[data-alarm-map]");
    this.map = figure ? new AlarmMap(figure) : null;
  }

  AlarmPage.prototype.start = function () {
    var self = this;
    if (this.map) this.map.start();
    if (this.form) this.form.addEventListener("submit", function (event) { self.send(event); });
    this.lastContact = clock();
    this.polling = poller(Number(this.data.pollMs) || 1500, function () { return self.poll(); }, function (error) {
      self.problem = error && error.signedOut ? self.data.msgSignedOut
        : fill(self.data.msgOffline, { time: self.lastContact });
      self.tell();
    });
  };

  /* No more polls, and the real map's resources released: the console's panel shows another alarm. */
  AlarmPage.prototype.stop = function () {
    this.stopped = true;
    if (this.polling) this.polling.stop();
    if (this.map) {
      this.map.stopped = true;
      if (this.map.real) this.map.real.map.remove();
    }
  };

  /* The notice shows a connection problem, else a change of state made elsewhere, else nothing. */
  AlarmPage.prototype.tell = function () {
    var text = this.problem || this.stateNote || "";
    this.notice.textContent = text;
    this.notice.hidden = !text;
  };

  AlarmPage.prototype.poll = function () {
    var self = this;
    var url = this.data.updatesUrl + "?after=" + this.after + "&after_location=" + this.afterLocation;
    return getJSON(url).then(function (answer) {
      if (self.stopped) return;
      self.lastContact = clock();
      self.problem = "";
      self.apply(answer);
      self.tell();
    });
  };

  AlarmPage.prototype.apply = function (answer) {
    var self = this;
    answer.messages.forEach(function (message) { self.addMessage(message); });
    answer.locations.forEach(function (point) { self.addLocation(point); });
    if (answer.state !== this.state) { // another dispatcher acted, or the sender cancelled
      this.state = answer.state;
      this.stateLabel.textContent = answer.state_label;
      this.stateNote = fill(this.data.msgStateChanged, { state: answer.state_label });
    }
  };

  AlarmPage.prototype.addMessage = function (message) {
    if (this.thread.querySelector('[data-message-id="' + message.id + '"]')) return;
    var line = el("li", { "class": "thread-line from-" + message.sender, "data-message-id": message.id });
    line.appendChild(el("span", { "class": "thread-who" }, message.who));
    line.appendChild(document.createTextNode(" "));
    line.appendChild(el("time", { datetime: message.at }, message.local));
    if (message.text) line.appendChild(el("p", { "class": "thread-text" }, message.text));
    if (message.photo) {
      var p = el("p"), a = el("a", { href: message.photo });
      a.appendChild(el("img", { "class": "thread-photo", src: message.photo + "?size=thumb", alt: this.data.msgPhoto }));
      p.appendChild(a);
      line.appendChild(p);
    }
    // Keep id order: a line that committed late may belong before the last one shown.
    var next = null;
    this.thread.querySelectorAll("[data-message-id]").forEach(function (other) {
      if (!next && Number(other.dataset.messageId) > message.id) next = other;
    });
    this.thread.insertBefore(line, next);
    flash(line);
    this.after = Math.max(this.after, message.id);
  };

  /* A new position, or a newer fix that replaced the last one (the sender's page merges fixes
   * that come within seconds of each other into one row): the row and the map follow it. */
  AlarmPage.prototype.addLocation = function (point) {
    var old = this.locations.querySelector('[data-location-id="' + point.id + '"]');
    var row = el("tr", { "data-location-id": point.id });
    var time = el("td");
    time.appendChild(el("time", { datetime: point.at }, point.local));
    row.appendChild(time);
    row.appendChild(el("td", { dir: "ltr" }, point.lat.toFixed(6) + ", " + point.lon.toFixed(6)));
    row.appendChild(el("td", {}, point.accuracy_m !== null ? "± " + Math.round(point.accuracy_m) + " m" : ""));
    var link = el("td");
    link.appendChild(el("a", { href: "geo:" + point.lat + "," + point.lon }, "geo:"));
    row.appendChild(link);
    if (old) {
      if (sameText(old, row)) return;
      this.locations.replaceChild(row, old);
    } else {
      this.locations.insertBefore(row, this.locations.querySelector(".empty-row"));
    }
    this.locations.querySelector(".empty-row").hidden = true;
    flash(row);
    this.afterLocation = Math.max(this.afterLocation, point.id);
    if (this.map) this.map.put([point.lat, point.lon, point.accuracy_m, point.id]);
  };

  /* Sends the message in the background; the thread shows it with the next poll. */
  AlarmPage.prototype.send = function (event) {
    var self = this;
    var form = this.form;
    var error = form.querySelector("[data-message-error]");
    var button = form.querySelector('button[type="submit"]');
    var body = new FormData(form);
    body.append("format", "json");
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    // form.action would be the input named "action": read the attribute.
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin",
                         headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return { error: response.statusText }; })
          .then(function (answer) {
            if (!response.ok || answer.error) throw new Error(answer.error || response.statusText);
            form.querySelector("textarea").value = "";
            return self.poll();
          });
      })
      .catch(function (failure) {
        error.textContent = fill(self.data.msgNotSent, { reason: failure.message });
        error.hidden = false;
      })
      .then(function () { button.disabled = false; });
  };

  var consoleRoot = document.querySelector("[data-alarm-console]");
  if (consoleRoot) new Console(consoleRoot).start();
  /* One alarm's detail, live: the alarm's page, or the console's panel (static/js/alarm-panel.js starts
   * and stops the panel's, since the dispatcher changes the alarm it shows). */
  window.PortalAlarmPage = function (root) {
    var page = new AlarmPage(root);
    page.start();
    return page;
  };
  var pageRoot = document.querySelector("[data-alarm-page]");
  if (pageRoot && !pageRoot.closest("[data-alarm-panel]")) window.PortalAlarmPage(pageRoot);
})();
