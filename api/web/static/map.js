// The Sök map (issue 16): the hits of the list as numbered markers over Sweden's län (drawn from a file the
// server ships; map tiles only when the server is configured with a tile URL), the search origin and the
// distance circle. Map and list are linked both ways: a marker selects and scrolls to its row, a row's
// "Visa på kartan" selects and centres its marker. All data comes from the page's data-* attributes (no
// inline script), so a Content-Security-Policy without 'unsafe-inline' holds.
(function () {
  "use strict";
  var SWEDEN = [[55.3, 10.9], [69.1, 24.2]];

  function start() {
    var box = document.getElementById("map");
    if (!box || !window.L) return;
    var map = L.map(box, {zoomSnap: 0.5, scrollWheelZoom: false}).fitBounds(SWEDEN);
    map.attributionControl.setPrefix(false);
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, {attribution: box.dataset.tilesAttribution || "", maxZoom: 18}).addTo(map);
    }
    fetch(box.dataset.base, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (lan) {
        if (!lan) return;
        L.geoJSON(lan, {interactive: false, style: {color: "#6b7b8c", weight: 1, fillColor: "#fbfbf7",
                                                    fillOpacity: box.dataset.tiles ? 0 : 1}})
          .addTo(map).bringToBack();
        map.attributionControl.addAttribution("Län: Natural Earth");
      });

    // One marker per place: the numbers of the hits there ("1, 2, 3", or "4 +5" for more than three).
    var markers = {}, points = [], places = {}, order = [];
    document.querySelectorAll(".hits:not(.excluded) .hit[data-lat]").forEach(function (row) {
      var key = parseFloat(row.dataset.lat).toFixed(5) + "," + parseFloat(row.dataset.lon).toFixed(5);
      if (!places[key]) { places[key] = []; order.push(key); }
      places[key].push(row);
    });
    order.forEach(function (key) {
      var rows = places[key], at = key.split(",").map(parseFloat);
      var numbers = rows.map(function (r) { return String(parseInt(r.dataset.n, 10)); });
      var label = numbers.length > 3 ? numbers[0] + " +" + (numbers.length - 1) : numbers.join(", ");
      var width = 14 + 7 * label.length;
      var icon = L.divIcon({className: "hit-marker", html: "<span>" + label + "</span>", iconSize: [width, 26],
                            iconAnchor: [width / 2, 13]});
      var names = rows.map(function (r) { return parseInt(r.dataset.n, 10) + ". " + r.dataset.name; }).join("\n");
      var marker = L.marker(at, {icon: icon, title: names, alt: names, riseOnHover: true}).addTo(map);
      marker.getElement().dataset.hits = rows.map(function (r) { return r.id; }).join(" ");
      marker.on("click", function () { select(rows[0].id, true); });
      rows.forEach(function (r) { markers[r.id] = marker; });
      points.push(at);
    });

    if (box.dataset.originLat) {
      var origin = [parseFloat(box.dataset.originLat), parseFloat(box.dataset.originLon)];
      L.circleMarker(origin, {radius: 7, color: "#a3161b", weight: 3, fillColor: "#fff", fillOpacity: 1,
                              className: "search-origin"}).addTo(map).bindTooltip("Sökpunkt");
      points.push(origin);
      if (box.dataset.distance) {
        var circle = L.circle(origin, {radius: parseFloat(box.dataset.distance) * 1000, color: "#a3161b", weight: 1.5,
                                       dashArray: "6 4", fill: false, interactive: false, className: "search-distance"})
          .addTo(map);
        var b = circle.getBounds();
        points.push(b.getSouthWest(), b.getNorthEast());
      }
    }

    function fit() {
      map.invalidateSize();
      if (points.length) map.fitBounds(points, {padding: [24, 24], maxZoom: 10});
      else map.fitBounds(SWEDEN);
    }
    fit();

    function select(id, fromMap) {
      document.querySelectorAll(".hit.selected").forEach(function (r) { r.classList.remove("selected"); });
      document.querySelectorAll(".hit-marker.selected").forEach(function (m) { m.classList.remove("selected"); });
      var row = document.getElementById(id), marker = markers[id];
      if (!row) return;
      row.classList.add("selected");
      if (marker) {
        marker.getElement().classList.add("selected");
        marker.setZIndexOffset(1000);
        if (fromMap) {
          marker.getElement().dataset.hits.split(" ").forEach(function (other) {
            document.getElementById(other).classList.add("selected");
          });
        }
      }
      if (fromMap) row.scrollIntoView({block: "center", behavior: "smooth"});
      else if (marker) map.panTo(marker.getLatLng());
    }

    document.querySelectorAll(".show-on-map").forEach(function (button) {
      button.addEventListener("click", function () { select(button.closest(".hit").id, false); });
    });
    window.addEventListener("beforeprint", fit);
    window.addEventListener("afterprint", fit);
    if (window.matchMedia) window.matchMedia("print").addEventListener("change", fit);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
