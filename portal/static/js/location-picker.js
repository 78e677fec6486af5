/* Location picker: enhances each <fieldset data-location-picker> of templates/deform/location.pt.
 *
 * Without this script the fieldset is a plain form (place in words, latitude, longitude, accuracy).
 * With it: a "Use my location" button (the browser's position fills the three numbers) and a map:
 * the real one (static/js/map.js: Leaflet, a draggable pin and the accuracy circle) where the page
 * configures it, else a schematic map of the units' areas from /units.geojson. A tap marks a point
 * and names the unit (from /units.geojson, either way).
 * Typing the coordinates moves the marker, so the map is never the only way in. Every word shown
 * comes from the fieldset's data-msg-* attributes, already in the page's language. No network
 * access beyond this site, no inline styles (strict CSP). */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var SIZE = 1000; // the longer side of the map, in SVG units
  var units = {}; // url -> one shared request for every picker on the page

  function loadUnits(url) {
    if (!units[url]) {
      units[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("units: HTTP " + response.status);
          return response.json();
        });
    }
    return units[url];
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function number(text) {
    var value = String(text).trim();
    return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
  }

  function round(value, decimals) {
    return String(Number(value.toFixed(decimals)));
  }

  /* "35 m", "1.2 km": rounded so nobody reads false precision into it. */
  function distance(metres) {
    var lang = document.documentElement.lang || "en";
    var unit = "meter";
    var value;
    if (metres < 100) value = Math.max(5, Math.round(metres / 5) * 5);
    else if (metres < 1000) value = Math.round(metres / 10) * 10;
    else { unit = "kilometer"; value = Math.round(metres / 100) / 10; }
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "short",
        maximumFractionDigits: 1 }).format(value);
    } catch (error) {
      return value + (unit === "meter" ? " m" : " km");
    }
  }

  function polygons(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  /* Even-odd ray casting over every ring, so holes are outside. */
  function inPolygon(rings, lon, lat) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      }
    });
    return inside;
  }

  /* The most local unit under a point: the server lists parents before their children. */
  function unitAt(features, lon, lat) {
    var found = null;
    features.forEach(function (feature) {
      if (polygons(feature.geometry).some(function (rings) { return inPolygon(rings, lon, lat); })) found = feature;
    });
    return found;
  }

  /* Plate carree scaled by cos(latitude) at the middle: good enough for a province-sized sketch. */
  function projection(features) {
    var west = Infinity, east = -Infinity, south = Infinity, north = -Infinity;
    features.forEach(function (feature) {
      polygons(feature.geometry).forEach(function (rings) {
        rings[0].forEach(function (point) {
          west = Math.min(west, point[0]); east = Math.max(east, point[0]);
          south = Math.min(south, point[1]); north = Math.max(north, point[1]);
        });
      });
    });
    if (!(east > west && north > south)) return null;
    var squeeze = Math.cos(((north + south) / 2) * Math.PI / 180);
    var scale = SIZE / Math.max((east - west) * squeeze, north - south);
    var width = (east - west) * squeeze * scale, height = (north - south) * scale;
    var pad = SIZE * 0.02;
    return {
      viewBox: [-pad, -pad, width + 2 * pad, height + 2 * pad].join(" "),
      width: width, height: height, unit: SIZE / 100,
      metre: scale / 111320, // SVG units per metre (north-south)
      x: function (lon) { return (lon - west) * squeeze * scale; },
      y: function (lat) { return (north - lat) * scale; },
      lon: function (x) { return x / (squeeze * scale) + west; },
      lat: function (y) { return north - y / scale; },
      shows: function (lon, lat) { return lon >= west && lon <= east && lat >= south && lat <= north; }
    };
  }

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function pathData(geometry, project) {
    var parts = [];
    polygons(geometry).forEach(function (rings) {
      rings.forEach(function (ring) {
        parts.push(ring.map(function (point, index) {
          return (index ? "L" : "M") + project.x(point[0]).toFixed(1) + "," + project.y(point[1]).toFixed(1);
        }).join("") + "Z");
      });
    });
    return parts.join("");
  }

  /* A ringed dot, inside a dashed circle of the accuracy when that is bigger than the dot. */
  function drawMarker(svg, project, point, metres) {
    var x = project.x(point.lon), y = project.y(point.lat);
    var marker = element("g", { "class": "location-marker", "aria-hidden": "true" }, svg);
    if (metres * project.metre > project.unit) {
      element("circle", { "class": "location-accuracy", cx: x, cy: y, r: metres * project.metre }, marker);
    }
    element("circle", { "class": "location-pin", cx: x, cy: y, r: project.unit * 1.6 }, marker);
    element("circle", { "class": "location-dot", cx: x, cy: y, r: project.unit * 0.5 }, marker);
    return marker;
  }

  function Picker(fieldset) {
    this.fieldset = fieldset;
    this.data = fieldset.dataset;
    this.lat = fieldset.querySelector('input[name="lat"]');
    this.lon = fieldset.querySelector('input[name="lon"]');
    this.accuracy = fieldset.querySelector('input[name="accuracy_m"]');
    this.tools = fieldset.querySelector(".location-tools");
    this.useButton = fieldset.querySelector(".location-use");
    this.clearButton = fieldset.querySelector(".location-clear");
    this.status = fieldset.querySelector(".location-status");
    this.mapBox = fieldset.querySelector(".location-map");
    this.features = [];
    this.project = null;
    this.svg = null;
    this.marker = null;
    this.map = null; // the Leaflet map, when there is one
    this.layers = null; // its pin and accuracy circle
  }

  Picker.prototype.start = function () {
    var self = this;
    if (!this.lat || !this.lon || !this.tools) return;
    this.tools.hidden = false;
    if (navigator.geolocation) {
      this.useButton.addEventListener("click", function () { self.locate(); });
    } else {
      this.useButton.hidden = true;
    }
    this.clearButton.addEventListener("click", function () { self.clear(); });
    [this.lat, this.lon].forEach(function (input) {
      input.addEventListener("input", function () { self.typed(); });
    });
    this.clearButton.hidden = !this.point();
    if (!this.data.unitsUrl) {
      this.mapBox.hidden = true;
    } else if (window.PortalMap && this.data.mapTiles) {
      window.PortalMap.create(this.fieldset, this.mapBox, this.data.msgMapLabel)
        .then(function (made) { self.real(made); }, function () { self.sketch(); });
    } else {
      this.sketch();
    }
  };

  Picker.prototype.sketch = function () {
    var self = this;
    loadUnits(this.data.unitsUrl).then(function (collection) { self.draw(collection); })
      .catch(function () { self.mapFailed(); });
  };

  /* The real map: a tap or a dragged pin sets the point; the units' areas only name it. */
  Picker.prototype.real = function (made) {
    var self = this;
    this.L = made.L;
    this.map = made.map;
    this.map.on("click", function (event) { self.choose(event.latlng.lat, event.latlng.lng); });
    var point = this.point();
    this.show(point, true);
    loadUnits(this.data.unitsUrl).then(function (collection) {
      self.features = (collection && collection.features) || [];
      self.areasReady = true;
      var now = self.point();
      if (now && !self.status.textContent) self.say(self.areaText(now));
    }).catch(function () { /* the point is still taken; only the unit's name is missing */ });
  };

  Picker.prototype.say = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  /* The point the inputs hold now, or null. */
  Picker.prototype.point = function () {
    var lat = number(this.lat.value), lon = number(this.lon.value);
    if (isNaN(lat) || isNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
    return { lat: lat, lon: lon };
  };

  Picker.prototype.areaText = function (point) {
    if (!this.project && !this.areasReady) return "";
    var unit = unitAt(this.features, point.lon, point.lat);
    return unit ? fill(this.data.msgArea, { unit: unit.properties.name }) : this.data.msgOutside;
  };

  Picker.prototype.locate = function () {
    var self = this;
    var max = Number(this.data.maxAccuracy) || Infinity;
    this.say(this.data.msgLocating);
    this.useButton.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      self.useButton.disabled = false;
      var coords = position.coords;
      if (!(coords.accuracy <= max)) { self.say(self.data.msgUnavailable); return; }
      self.lat.value = round(coords.latitude, 6);
      self.lon.value = round(coords.longitude, 6);
      self.accuracy.value = String(Math.round(coords.accuracy));
      var point = self.point();
      self.show(point, true);
      self.say([fill(self.data.msgFound, { distance: distance(coords.accuracy) }), self.areaText(point)]
        .join(" ").trim());
    }, function (error) {
      self.useButton.disabled = false;
      self.say(error.code === error.PERMISSION_DENIED ? self.data.msgDenied : self.data.msgUnavailable);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };

  /* A point picked on the map has no measured accuracy: that field is emptied. */
  Picker.prototype.pick = function (event) {
    var matrix = this.svg.getScreenCTM();
    if (!matrix) return;
    var spot = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    this.choose(this.project.lat(spot.y), this.project.lon(spot.x));
  };

  Picker.prototype.choose = function (lat, lon) {
    this.lat.value = round(lat, 5);
    this.lon.value = round(lon, 5);
    this.accuracy.value = "";
    var point = this.point();
    this.show(point);
    this.say(this.areaText(point));
  };

  Picker.prototype.typed = function () {
    var point = this.point();
    this.show(point, true);
    this.say(point ? this.areaText(point) : "");
  };

  Picker.prototype.clear = function () {
    this.lat.value = "";
    this.lon.value = "";
    this.accuracy.value = "";
    this.show(null);
    this.say(this.data.msgCleared);
    if (!this.useButton.hidden) this.useButton.focus(); // the clear button hides itself: keep focus nearby
  };

  /* Moves the marker (and the accuracy circle) to a point, or removes it; `reveal` brings it into view. */
  Picker.prototype.show = function (point, reveal) {
    this.clearButton.hidden = !point;
    if (this.map) { this.showOnMap(point, reveal); return; }
    if (!this.svg) return;
    var selected = this.svg.querySelector(".is-selected");
    if (selected) selected.classList.remove("is-selected");
    if (this.marker) { this.marker.remove(); this.marker = null; }
    if (!point || !this.project.shows(point.lon, point.lat)) return;
    this.marker = drawMarker(this.svg, this.project, point, number(this.accuracy.value));
    var unit = unitAt(this.features, point.lon, point.lat);
    var path = unit && this.svg.querySelector('path[data-code="' + CSS.escape(unit.properties.code) + '"]');
    if (path) path.classList.add("is-selected");
  };

  Picker.prototype.showOnMap = function (point, reveal) {
    var self = this, L = this.L;
    if (this.layers) { this.map.removeLayer(this.layers); this.layers = null; }
    if (!point) return;
    var latlng = L.latLng(point.lat, point.lon);
    var metres = number(this.accuracy.value);
    this.layers = L.layerGroup().addTo(this.map);
    var circle = metres > 0 ? L.circle(latlng, { radius: metres, className: "map-accuracy", interactive: false })
      .addTo(this.layers) : null;
    var pin = L.marker(latlng, { draggable: true, autoPan: true, alt: this.data.msgPin || "", title: this.data.msgPin || "" })
      .addTo(this.layers);
    pin.getElement().classList.add("map-pin");
    pin.on("dragend", function () {
      var moved = pin.getLatLng();
      self.choose(moved.lat, moved.lng);
    });
    if (!reveal) return;
    if (circle && metres > 200) {
      this.map.fitBounds(circle.getBounds(), { maxZoom: 15 });
    } else if (!this.map.getBounds().pad(-0.1).contains(latlng) || this.map.getZoom() < 12) {
      this.map.setView(latlng, Math.max(this.map.getZoom(), Math.min(13, this.map.getMaxZoom())));
    }
  };

  Picker.prototype.draw = function (collection) {
    var self = this;
    this.features = (collection && collection.features) || [];
    this.project = projection(this.features);
    if (!this.project) { this.mapFailed(); return; }
    var svg = element("svg", { viewBox: this.project.viewBox, role: "img", "class": "location-svg",
                               "aria-label": this.data.msgMapLabel });
    this.features.forEach(function (feature) {
      var path = element("path", { d: pathData(feature.geometry, self.project), "data-code": feature.properties.code,
                                   "class": "unit unit-" + feature.properties.level }, svg);
      element("title", {}, path).textContent = feature.properties.name;
    });
    svg.addEventListener("click", function (event) { self.pick(event); });
    this.mapBox.appendChild(svg);
    this.svg = svg;
    var point = this.point(); // coordinates typed before, or kept by a form shown again
    this.show(point);
    if (point) this.say(this.areaText(point));
  };

  Picker.prototype.mapFailed = function () {
    this.mapBox.hidden = true;
    this.say(this.data.msgMapFailed);
  };

  /* Read-only: a stored point on the sketch, for staff pages (templates/_point_map.html). */
  function showPoint(figure) {
    var data = figure.dataset;
    var point = { lat: number(data.lat), lon: number(data.lon) };
    var box = figure.querySelector(".location-map");
    if (isNaN(point.lat) || isNaN(point.lon) || !box) return;
    if (window.PortalMap && data.mapTiles) {
      window.PortalMap.create(figure, box, data.msgMapLabel).then(function (made) {
        var metres = number(data.accuracy);
        var latlng = made.L.latLng(point.lat, point.lon);
        window.PortalMap.spot(made.L, latlng, metres).addTo(made.map);
        if (metres > 300) made.map.fitBounds(latlng.toBounds(metres * 2), { maxZoom: 14 });
        else made.map.setView(latlng, Math.min(14, made.map.getMaxZoom()));
      }, function () { sketchPoint(figure, point, box); });
      return;
    }
    sketchPoint(figure, point, box);
  }

  function sketchPoint(figure, point, box) {
    var data = figure.dataset;
    loadUnits(data.unitsUrl).then(function (collection) {
      var features = (collection && collection.features) || [];
      var project = projection(features);
      if (!project || !project.shows(point.lon, point.lat)) return;
      var unit = unitAt(features, point.lon, point.lat);
      var svg = element("svg", { viewBox: project.viewBox, role: "img", "class": "location-svg is-static",
                                 "aria-label": data.msgMapLabel });
      features.forEach(function (feature) {
        var selected = unit && feature.properties.code === unit.properties.code ? " is-selected" : "";
        element("path", { d: pathData(feature.geometry, project), "data-code": feature.properties.code,
                          "class": "unit unit-" + feature.properties.level + selected }, svg);
      });
      drawMarker(svg, project, point, number(data.accuracy));
      box.appendChild(svg);
    }).catch(function () { box.hidden = true; });
  }

  /* A stored point is drawn when its figure comes near the screen: a phone that reads a notice only to
   * its photo and facts (the last-seen map is below them) neither runs Leaflet nor fetches tiles. */
  function whenNear(figure, draw) {
    if (!("IntersectionObserver" in window)) { draw(); return; }
    var watcher = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      watcher.disconnect();
      draw();
    }, { rootMargin: "200px 0px" });
    watcher.observe(figure);
  }

  document.querySelectorAll("[data-point-map]").forEach(function (figure) {
    if (figure.dataset.locationReady) return;
    figure.dataset.locationReady = "1";
    whenNear(figure, function () { showPoint(figure); });
  });

  document.querySelectorAll("fieldset[data-location-picker]").forEach(function (fieldset) {
    if (fieldset.dataset.locationReady) return; // the script is included once per picker
    fieldset.dataset.locationReady = "1";
    new Picker(fieldset).start();
  });
})();
