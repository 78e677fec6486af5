/* The track of a trip on a map (templates/trips/_track.html): the real one (static/js/map.js,
 * Leaflet) where the page configures it, else the schematic map of the units' areas.
 *
 * Polls the trip's updates endpoint every few seconds for new positions, draws them as a line with
 * the last one marked (and its accuracy circle), and keeps the last position written out as text,
 * so the map is never the only way to read it. When the trip's state changes (overdue, arrived, an
 * alarm was raised) the page reloads: the server renders what that means. Every word comes from the
 * figure's data-msg-* attributes. No inline styles (strict CSP). */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var POLL_MS = 5000;
  var SIZE = 1000;
  var MIN_SPAN = 0.02; // degrees (about two kilometres): a track of one point still has a map around it
  var ASPECT = 0.75; // height : width of the map, landscape so it fits a phone's screen with the text

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function polygons(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  /* Bounds of the track (padded), or of the units when there is no track yet. */
  function bounds(points, features) {
    var b = { west: Infinity, east: -Infinity, south: Infinity, north: -Infinity };
    function add(lon, lat) {
      b.west = Math.min(b.west, lon); b.east = Math.max(b.east, lon);
      b.south = Math.min(b.south, lat); b.north = Math.max(b.north, lat);
    }
    if (points.length) {
      points.forEach(function (p) { add(p.lon, p.lat); });
      var padLon = Math.max((b.east - b.west) * 0.2, MIN_SPAN), padLat = Math.max((b.north - b.south) * 0.2, MIN_SPAN);
      b.west -= padLon; b.east += padLon; b.south -= padLat; b.north += padLat;
    } else {
      features.forEach(function (f) {
        polygons(f.geometry).forEach(function (rings) { rings[0].forEach(function (pt) { add(pt[0], pt[1]); }); });
      });
    }
    return b.east > b.west && b.north > b.south ? b : null;
  }

  function projection(b) {
    var squeeze = Math.cos(((b.north + b.south) / 2) * Math.PI / 180);
    // Widen (or heighten) the box around its middle to the map's shape.
    var width = (b.east - b.west) * squeeze, height = b.north - b.south;
    if (height > width * ASPECT) {
      var extraLon = (height / ASPECT - width) / squeeze / 2;
      b = { west: b.west - extraLon, east: b.east + extraLon, south: b.south, north: b.north };
    } else {
      var extraLat = (width * ASPECT - height) / 2;
      b = { west: b.west, east: b.east, south: b.south - extraLat, north: b.north + extraLat };
    }
    var scale = SIZE / Math.max((b.east - b.west) * squeeze, b.north - b.south);
    return {
      viewBox: [0, 0, (b.east - b.west) * squeeze * scale, (b.north - b.south) * scale].join(" "),
      unit: SIZE / 100,
      metre: scale / 111320,
      x: function (lon) { return (lon - b.west) * squeeze * scale; },
      y: function (lat) { return (b.north - lat) * scale; }
    };
  }

  function pathData(geometry, project) {
    var parts = [];
    polygons(geometry).forEach(function (rings) {
      rings.forEach(function (ring) {
        parts.push(ring.map(function (pt, i) {
          return (i ? "L" : "M") + project.x(pt[0]).toFixed(1) + "," + project.y(pt[1]).toFixed(1);
        }).join("") + "Z");
      });
    });
    return parts.join("");
  }

  /* Isolated left to right (U+2066 ... U+2069) so the pair keeps its order in Uyghur text. */
  function coords(p) {
    return "\u2066" + p.lat.toFixed(5) + ", " + p.lon.toFixed(5) + "\u2069";
  }

  function TrackMap(figure) {
    this.figure = figure;
    this.data = figure.dataset;
    this.box = figure.querySelector(".location-map");
    this.lastText = figure.querySelector("[data-trip-last]");
    this.points = [];
    this.lastId = 0;
    this.features = [];
  }

  TrackMap.prototype.start = function () {
    var self = this;
    if (window.PortalMap && this.data.mapTiles) {
      window.PortalMap.create(this.figure, this.box, this.data.msgMapLabel).then(function (made) {
        self.real = made;
        self.poll();
      }, function () { self.sketch(); });
      return;
    }
    this.sketch();
  };

  TrackMap.prototype.sketch = function () {
    var self = this;
    fetch(this.data.unitsUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .catch(function () { return { features: [] }; })
      .then(function (collection) {
        self.features = (collection && collection.features) || [];
        self.poll();
      });
  };

  TrackMap.prototype.poll = function () {
    var self = this;
    var next = function (ms) { window.setTimeout(function () { self.poll(); }, ms); };
    if (document.hidden && this.lastId) { next(POLL_MS); return; }
    fetch(this.data.updatesUrl + "?after=" + this.lastId, { credentials: "same-origin", cache: "no-store",
                                                           headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (update) {
        if (update.state !== self.data.state || (update.overdue ? "yes" : "no") !== self.data.overdue) {
          window.location.reload(); // what a new state means is written by the server
          return;
        }
        if (update.points.length) {
          self.points = self.points.concat(update.points);
          self.lastId = update.points[update.points.length - 1].id;
          self.draw();
        } else if (!self.drawn) {
          self.draw();
        }
        if (update.last) self.say(update.last);
        if (update.thread) self.thread(update.thread);
        if (self.data.poll === "yes") next(update.more ? 0 : POLL_MS);
      })
      .catch(function () { next(POLL_MS * 2); });
  };

  /* A guardian's page: the alarm's thread, new lines added as they come (text only, never markup). */
  TrackMap.prototype.thread = function (lines) {
    var list = document.getElementById("guard-thread");
    if (!list) return;
    lines.forEach(function (line) {
      if (list.querySelector('[data-id="' + line.id + '"]')) return;
      var item = document.createElement("li");
      item.className = "from-" + line.sender;
      item.setAttribute("data-id", line.id);
      [["who", line.who], ["time", line.at], ["text", line.text]].forEach(function (part) {
        var node = document.createElement(part[0] === "time" ? "time" : "span");
        if (part[0] !== "time") node.className = part[0];
        node.textContent = part[1];
        item.appendChild(node);
        item.appendChild(document.createTextNode(" "));
      });
      list.appendChild(item);
    });
  };

  TrackMap.prototype.say = function (last) {
    var text = last.accuracy_m === null
      ? fill(this.data.msgLastNoAccuracy, { coords: coords(last), time: last.local_time })
      : fill(this.data.msgLast, { coords: coords(last), accuracy: Math.round(last.accuracy_m), time: last.local_time });
    if (this.lastText.textContent !== text) this.lastText.textContent = text;
  };

  /* On the real map: the track as a line, the newest position with its accuracy, the view around them. */
  TrackMap.prototype.drawOnMap = function () {
    var L = this.real.L, map = this.real.map;
    if (this.layers) map.removeLayer(this.layers);
    this.layers = L.layerGroup().addTo(map);
    if (!this.points.length) return;
    var line = this.points.map(function (p) { return [p.lat, p.lon]; });
    L.polyline(line, { className: "map-track", interactive: false }).addTo(this.layers);
    var last = this.points[this.points.length - 1];
    window.PortalMap.spot(L, [last.lat, last.lon], last.accuracy_m || 0).addTo(this.layers);
    map.fitBounds(L.latLngBounds(line).pad(0.2), { maxZoom: 14 });
  };

  TrackMap.prototype.draw = function () {
    var self = this;
    this.drawn = true;
    if (this.real) { this.drawOnMap(); return; }
    var b = bounds(this.points, this.features);
    if (!b) { this.box.hidden = true; return; }
    var project = projection(b);
    var svg = element("svg", { viewBox: project.viewBox, role: "img", "class": "location-svg is-static trip-svg",
                               "aria-label": this.data.msgMapLabel });
    this.features.forEach(function (feature) {
      element("path", { d: pathData(feature.geometry, project), "class": "unit unit-" + feature.properties.level }, svg);
    });
    if (this.points.length) {
      element("polyline", { "class": "trip-line", points: this.points.map(function (p) {
        return project.x(p.lon).toFixed(1) + "," + project.y(p.lat).toFixed(1);
      }).join(" ") }, svg);
      var last = this.points[this.points.length - 1];
      var x = project.x(last.lon), y = project.y(last.lat);
      var marker = element("g", { "class": "location-marker", "aria-hidden": "true" }, svg);
      if (last.accuracy_m && last.accuracy_m * project.metre > project.unit) {
        element("circle", { "class": "location-accuracy", cx: x, cy: y, r: last.accuracy_m * project.metre }, marker);
      }
      element("circle", { "class": "location-pin", cx: x, cy: y, r: project.unit * 1.6 }, marker);
      element("circle", { "class": "location-dot", cx: x, cy: y, r: project.unit * 0.5 }, marker);
    }
    this.box.replaceChildren(svg);
  };

  document.querySelectorAll("[data-trip-map]").forEach(function (figure) {
    if (figure.dataset.tripReady) return;
    figure.dataset.tripReady = "1";
    new TrackMap(figure).start();
  });
})();
