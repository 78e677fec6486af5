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
    var shown = ""; // the markers' ids and places last drawn: the view moves only when they change

    function draw() {
      layer.clearLayers();
      var points = [];
      rows.querySelectorAll("tr[data-alarm-id][data-lat]").forEach(function (row) {
        var lat = Number(row.dataset.lat), lon = Number(row.dataset.lon);
        if (!isFinite(lat) || !isFinite(lon)) return;
        var isNew = row.classList.contains("state-new");
        var link = row.querySelector("a[href]");
        var marker = L.circleMarker([lat, lon], { radius: isNew ? 10 : 7,
                                                  className: "map-alarm" + (isNew ? " is-new" : "") });
        marker.bindTooltip("#" + row.dataset.alarmId);
        var id = row.dataset.alarmId;
        marker.on("click", function () { // the alarm beside the list (static/js/alarm-panel.js), else its page
          if (window.PortalAlarmPanel) window.PortalAlarmPanel.open(id, { focus: true });
          else if (link) window.location.href = link.href;
        });
        marker.addTo(layer);
        points.push([lat, lon, row.dataset.alarmId]);
      });
      var now = JSON.stringify(points);
      if (now === shown) return;
      shown = now;
      figure.querySelector("[data-alarms-count]").textContent = String(points.length);
      if (points.length) map.fitBounds(L.latLngBounds(points.map(function (p) { return [p[0], p[1]]; })).pad(0.2),
                                       { maxZoom: 12 });
    }

    figure.hidden = false;
    map.invalidateSize();
    draw();
    new MutationObserver(draw).observe(rows, { childList: true, subtree: true, attributes: true,
                                               attributeFilter: ["class", "data-lat", "data-lon"] });
  }).catch(function () { figure.hidden = true; });
})();
