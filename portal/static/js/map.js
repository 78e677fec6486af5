/* The portal's maps: a real map (the vendored Leaflet, the tiles of portal.map.tiles or of the portal's
 * own base map) for every script that shows a place: the location picker, a stored point, a trip's
 * track, the dispatcher's open alarms. Included before those scripts (all deferred, so in order).
 *
 * Everything comes from data-map-* attributes on the element that holds the map (geo/map_config.py):
 * the Leaflet files, the tile URL template and attribution, the zoom range, the province's bounds,
 * the places to name and the words of the controls. Without them (or when Leaflet cannot load) the
 * scripts keep their schematic sketch. Leaflet sets its positions through element.style (the CSSOM),
 * which the strict CSP allows; nothing here writes inline style attributes or markup. */
(function () {
  "use strict";

  if (window.PortalMap) return; // included once per map: the first copy serves them all
  var loading = null; // one load of Leaflet per page, shared by every map
  var places = {}; // url -> one request for the places' names
  var LABEL_ZOOM = { 1: 6, 2: 8, 3: 10, 4: 11 }; // from which zoom a place of each rank is named

  function load(data) {
    if (window.L && window.L.map) return Promise.resolve(window.L);
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = data.mapLeafletCss;
      var script = document.createElement("script");
      script.src = data.mapLeafletJs;
      var pending = 2;
      function done() { pending -= 1; if (pending === 0) resolve(window.L); }
      css.onload = done;
      script.onload = done;
      css.onerror = script.onerror = function () { reject(new Error("Leaflet did not load")); };
      document.head.appendChild(css);
      document.head.appendChild(script);
    });
    return loading;
  }

  function bounds(L, text) {
    var n = String(text || "").split(",").map(Number);
    return n.length === 4 && n.every(isFinite) ? L.latLngBounds([n[0], n[1]], [n[2], n[3]]) : null;
  }

  function escapeText(text) {
    var node = document.createElement("span");
    node.textContent = text;
    return node.innerHTML;
  }

  /* Names of towns and villages over the portal's own tiles, in the browser's fonts, by zoom. */
  function addLabels(L, map, url) {
    if (!places[url]) {
      places[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("places: HTTP " + r.status); return r.json(); });
    }
    places[url].then(function (collection) {
      var groups = {};
      collection.places.forEach(function (place) {
        var rank = place.rank in LABEL_ZOOM ? place.rank : 4;
        if (!groups[rank]) groups[rank] = L.layerGroup();
        var text = document.createElement("span");
        text.lang = "zh-Hans";
        text.textContent = place.name;
        var icon = L.divIcon({ className: "map-label map-label-" + rank, html: text, iconSize: null });
        L.marker([place.lat, place.lon], { icon: icon, interactive: false, keyboard: false }).addTo(groups[rank]);
      });
      function update() {
        Object.keys(groups).forEach(function (rank) {
          var show = map.getZoom() >= LABEL_ZOOM[rank];
          if (show && !map.hasLayer(groups[rank])) groups[rank].addTo(map);
          if (!show && map.hasLayer(groups[rank])) map.removeLayer(groups[rank]);
        });
      }
      map.on("zoomend", update);
      update();
    }).catch(function () { /* the tiles still show the towns; only their names are missing */ });
  }

  /* A Leaflet map in `box`, configured from `holder`'s data-map-* attributes. `label` names the map
   * for screen readers. Resolves to { L: Leaflet, map: the map }, or rejects (the caller keeps its sketch). */
  function create(holder, box, label) {
    var data = holder.dataset;
    if (!data.mapTiles || !data.mapLeafletJs) return Promise.reject(new Error("no map configured"));
    return load(data).then(function (L) {
      var limits = bounds(L, data.mapBounds);
      var view = bounds(L, data.mapView) || limits;
      box.classList.add("has-map");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", label || "");
      var map = L.map(box, {
        zoomControl: false, attributionControl: false, zoomSnap: 0.25,
        minZoom: Number(data.mapMinZoom) || 3, maxZoom: Number(data.mapMaxZoom) || 18,
        maxBounds: limits ? limits.pad(0.1) : null
      });
      L.control.zoom({ zoomInTitle: data.mapMsgZoomIn || "+", zoomOutTitle: data.mapMsgZoomOut || "-" }).addTo(map);
      L.control.attribution({ prefix: false }).addTo(map);
      var options = { attribution: escapeText(data.mapAttribution || ""), bounds: limits || undefined,
                      minZoom: map.getMinZoom(), maxZoom: map.getMaxZoom(), crossOrigin: false };
      if (data.mapSubdomains) options.subdomains = data.mapSubdomains;
      L.tileLayer(data.mapTiles, options).addTo(map);
      if (data.mapLabels) L.tileLayer(data.mapLabels, L.extend({}, options, { attribution: "" })).addTo(map);
      if (view) map.fitBounds(view); else map.setView([0, 0], map.getMinZoom());
      if (data.mapPlaces) addLabels(L, map, data.mapPlaces);
      box.portalMap = map; // for tests and for scripts that add to a map they did not make
      return { L: L, map: map };
    });
  }

  /* The accuracy of a position as a circle, and a ringed dot at it (not interactive). */
  function spot(L, latlng, metres) {
    var group = L.layerGroup();
    if (metres > 0) {
      L.circle(latlng, { radius: metres, className: "map-accuracy", interactive: false }).addTo(group);
    }
    L.circleMarker(latlng, { radius: 7, className: "map-spot", interactive: false }).addTo(group);
    return group;
  }

  /* An alarm's positions ([lat, lon, accuracy, id]): its track and a trip's as lines, the first and the
   * newest with their accuracy, the view around them all. Redrawn whole on every new position. */
  function positions(made, track, trip) {
    var L = made.L, map = made.map;
    if (map.portalPositions) map.removeLayer(map.portalPositions);
    var group = map.portalPositions = L.layerGroup().addTo(map);
    function latlngs(list) { return list.map(function (p) { return [p[0], p[1]]; }); }
    if (trip.length > 1) L.polyline(latlngs(trip), { className: "map-trip-track", interactive: false }).addTo(group);
    if (track.length > 1) L.polyline(latlngs(track), { className: "map-track", interactive: false }).addTo(group);
    var first = track[0], last = track[track.length - 1];
    if (first && first !== last) L.circle([first[0], first[1]], { radius: first[2] || 0, className: "map-accuracy",
                                                                  interactive: false }).addTo(group);
    if (last) spot(L, [last[0], last[1]], last[2] || 0).addTo(group);
    var all = latlngs(track.concat(trip));
    if (all.length) map.fitBounds(L.latLngBounds(all).pad(0.3), { maxZoom: 15 });
  }

  window.PortalMap = { create: create, spot: spot, positions: positions };
})();
