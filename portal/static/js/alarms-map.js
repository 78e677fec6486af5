/* The dispatcher console's map of open alarms (templates/staff/alarms.html): a marker for every open
 * alarm with a position, kept in step with the list, which static/js/dispatcher-console.js updates
 * (each row carries data-lat and data-lon). The list stays the way to work: the map is hidden until it
 * has loaded, and a marker only shows the alarm of its row (in the panel beside the list, or its page).
 * New alarms are marked apart. */
(function () {
  "use strict";

  var figure = document.querySelector("[data-alarms-map]");
  var rows = document.querySelector("[data-open-rows]");
  if (!figure || !rows || !window.PortalMap || !figure.dataset.mapTiles) return;
  var box = figure.querySelector(".location-map");

  window.PortalMap.create(figure, box, figure.dataset.msgMapLabel).then(function (made) {
    var L = made.L, map = made.map;
    var layer = L.layerGroup().addTo(map);
    var shown = ""; // the markers last drawn (ids, places, new or not): rebuilt only when they change
    var placed = ""; // their ids and places: the view moves only when these change

    function draw() {
      // What the list says now; the markers are rebuilt only when it changed. The live list touches its
      // rows every few seconds: rebuilding on each touch could swallow a click on a marker.
      var wanted = [];
      rows.querySelectorAll("tr[data-alarm-id][data-lat]").forEach(function (row) {
        var lat = Number(row.dataset.lat), lon = Number(row.dataset.lon);
        if (!isFinite(lat) || !isFinite(lon)) return;
        wanted.push([lat, lon, row.dataset.alarmId, row.classList.contains("state-new")]);
      });
      var now = JSON.stringify(wanted);
      if (now === shown) return;
      shown = now;
      layer.clearLayers();
      wanted.forEach(function (point) {
        var id = point[2], isNew = point[3];
        var marker = L.circleMarker([point[0], point[1]], { radius: isNew ? 10 : 7,
                                                            className: "map-alarm" + (isNew ? " is-new" : "") });
        marker.bindTooltip("#" + id);
        marker.on("click", function () { // the alarm beside the list (static/js/alarm-panel.js), else its page
          var link = rows.querySelector("tr[data-alarm-id=\"" + id + "\"] a[href]");
          if (window.PortalAlarmPanel) window.PortalAlarmPanel.open(id, { focus: true });
          else if (link) window.location.href = link.href;
        });
        marker.addTo(layer);
      });
      figure.querySelector("[data-alarms-count]").textContent = String(wanted.length);
      var places = JSON.stringify(wanted.map(function (p) { return p.slice(0, 3); }));
      if (places === placed) return;
      placed = places;
      if (wanted.length) map.fitBounds(L.latLngBounds(wanted.map(function (p) { return [p[0], p[1]]; })).pad(0.2),
                                       { maxZoom: 12 });
    }

    figure.hidden = false;
    map.invalidateSize();
    // Hidden while an alarm's detail takes its place, then shown again: Leaflet must measure anew, or
    // the markers sit where the old size put them.
    if (window.ResizeObserver) new ResizeObserver(function () { map.invalidateSize(); }).observe(box);
    draw();
    new MutationObserver(draw).observe(rows, { childList: true, subtree: true, attributes: true,
                                               attributeFilter: ["class", "data-lat", "data-lon"] });
  }).catch(function () { figure.hidden = true; });
})();
