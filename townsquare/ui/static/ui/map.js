// Maps of the citizen web (ADR 50), on Leaflet from npm (ui/leaflet/leaflet.js, loaded first).
// Progressive enhancement: every page works without this script; it shows elements marked
// [data-ts-map] and draws council boundaries and reports from Townsquare's own GeoJSON, so the
// map is useful even when no tile server answers.
//
//   <div data-ts-map="pick" data-bounds="s,w,n,e" data-boundary-url=".." data-reports-url=".."
//        data-tiles="https://…/{z}/{x}/{y}.png" data-attribution="…" data-lat-input="lat"
//        data-lng-input="lng" hidden> … <div class="ts-map__canvas"></div> … </div>
//
// "pick" places a pin (click, keyboard button, device location, place search) and fills the
// form's hidden lat/lng inputs; "browse" shows reports, with links to each one.
(function () {
  "use strict";
  if (!window.L || !document.querySelector) return;

  function text(root, name) {
    var el = root.querySelector("[data-ts-text='" + name + "']");
    return el ? el.textContent : "";
  }

  function say(root, message) {
    var status = root.querySelector("[data-ts-map-status]");
    if (status) status.textContent = message;
  }

  function boundsOf(value) {
    var p = (value || "").split(",").map(Number);
    return p.length === 4 && p.every(isFinite) ? L.latLngBounds([p[0], p[1]], [p[2], p[3]]) : null;
  }

  function countIcon(count) {
    var size = count < 10 ? 28 : count < 100 ? 34 : count < 1000 ? 42 : 50;
    return L.divIcon({
      className: "ts-map__count", iconSize: [size, size],
      html: "<span>" + (count >= 10000 ? Math.round(count / 1000) + "k" : count) + "</span>"
    });
  }

  // Leaflet finds its default marker image from its CSS, which fails once collectstatic has
  // put a hash in the file name: the page gives the image addresses instead.
  function pinIcon(root) {
    return L.icon({
      iconUrl: root.getAttribute("data-marker-icon"),
      iconRetinaUrl: root.getAttribute("data-marker-icon-2x"),
      shadowUrl: root.getAttribute("data-marker-shadow"),
      iconSize: [25, 41], iconAnchor: [12, 41], shadowSize: [41, 41]
    });
  }

  function setUp(root) {
    var mode = root.getAttribute("data-ts-map");
    root.hidden = false;
    var canvas = root.querySelector(".ts-map__canvas");
    var map = L.map(canvas, { zoomSnap: 1, keyboard: true });
    canvas.setAttribute("aria-label", text(root, "label"));
    var tiles = root.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: root.getAttribute("data-attribution") || "" })
        .on("tileerror", function () { root.classList.add("ts-map--no-tiles"); })
        .addTo(map);
    } else {
      root.classList.add("ts-map--no-tiles");
    }
    var start = boundsOf(root.getAttribute("data-bounds"));
    if (start) map.fitBounds(start); else map.setView([52.5, -1.9], 6);

    var boundaryUrl = root.getAttribute("data-boundary-url");
    if (boundaryUrl) {
      fetch(boundaryUrl).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) return;
        L.geoJSON(data, {
          interactive: false,
          style: function (f) {
            return f.properties.kind === "council"
              ? { className: "ts-map__boundary", color: "#0b0c0c", weight: 3, fill: false }
              : { className: "ts-map__boundary", color: "#505a5f", weight: 1, dashArray: "4 4",
                  fillColor: "#f3f2f1", fillOpacity: 0.15 };
          }
        }).addTo(map);
      }).catch(function () {});
    }

    var reportsUrl = root.getAttribute("data-reports-url");
    var reports = L.layerGroup().addTo(map);
    var pending = null;
    function loadReports() {
      if (!reportsUrl) return;
      var b = map.getBounds();
      var url = reportsUrl + (reportsUrl.indexOf("?") < 0 ? "?" : "&") + "bbox=" +
        [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
          return Math.max(-180, Math.min(180, v)).toFixed(5);
        }).join(",") + "&zoom=" + map.getZoom();
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch(url, pending ? { signal: pending.signal } : {}).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (data) {
        if (!data) return;
        reports.clearLayers();
        data.features.forEach(function (f) {
          var at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          if (data.aggregated) {
            L.marker(at, {
              icon: countIcon(f.properties.count), keyboard: false,
              title: text(root, "count").replace("%(count)s", f.properties.count)
            }).on("click", function () {
              // Never zoom out: a dense street is counted up to the finest zoom (ADR 118).
              var zoom = map.getZoom();
              map.setView(at, Math.max(zoom, Math.min(zoom + 2, map.getMaxZoom(), 22)));
            })
              .addTo(reports);
          } else {
            var p = f.properties;
            var link = document.createElement("a");
            link.href = p.url; link.className = "govuk-link";
            link.textContent = p.service + " (" + p.reference + ")";
            L.circleMarker(at, {
              className: "ts-map__report", radius: 7, weight: 2, color: "#0b0c0c",
              fillColor: p.open ? "#d4351c" : "#00703c", fillOpacity: 0.9,
              interactive: mode === "browse"
            }).bindPopup(link).addTo(reports);
          }
        });
      }).catch(function () {});
    }
    map.on("moveend", loadReports);
    loadReports();

    if (mode === "pick") setUpPicking(root, map);
    return map;
  }

  function setUpPicking(root, map) {
    var lat = document.getElementById(root.getAttribute("data-lat-input"));
    var lng = document.getElementById(root.getAttribute("data-lng-input"));
    var pin = null;
    // Tells the server the map was shown, so that its errors may speak of the pin.
    var shown = document.getElementById(root.getAttribute("data-shown-input"));
    if (shown) shown.value = "yes";

    function setPin(latlng, message) {
      if (!pin) {
        pin = L.marker(latlng, { icon: pinIcon(root), draggable: true, autoPan: true,
                                 alt: text(root, "pin") })
          .on("dragend", function () { setPin(pin.getLatLng(), text(root, "moved")); })
          .addTo(map);
      } else {
        pin.setLatLng(latlng);
      }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (clear) clear.hidden = false;
      root.classList.add("ts-map--pinned");
      say(root, message || text(root, "placed"));
    }

    map.on("click", function (e) { setPin(e.latlng); });
    if (lat.value && lng.value && isFinite(lat.value) && isFinite(lng.value)) {
      setPin(L.latLng(Number(lat.value), Number(lng.value)), " ");
      map.setView(pin.getLatLng(), 17);
    }

    var clear = root.querySelector("[data-ts-map-action=clear]");
    root.querySelectorAll("[data-ts-map-action]").forEach(function (button) {
      button.hidden = button === clear && !pin;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var action = button.getAttribute("data-ts-map-action");
        if (action === "centre") {
          // Said to keyboard users too: dragging and clicking are not their ways to move it.
          setPin(map.getCenter(), text(root, "placed-centre"));
        } else if (action === "clear") {
          if (pin) { map.removeLayer(pin); pin = null; }
          lat.value = ""; lng.value = "";
          clear.hidden = true;
          root.classList.remove("ts-map--pinned");
          root.querySelector("[data-ts-map-action=centre]").focus();
          say(root, text(root, "cleared"));
        } else if (action === "locate") {
          if (!navigator.geolocation) { say(root, text(root, "no-location")); return; }
          say(root, text(root, "locating"));
          navigator.geolocation.getCurrentPosition(function (position) {
            var here = L.latLng(position.coords.latitude, position.coords.longitude);
            map.setView(here, 17);
            setPin(here, text(root, "located"));
          }, function () { say(root, text(root, "no-location")); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
        }
      });
    });

    // The place search form reloads the page without JavaScript; here it moves the map.
    var search = document.querySelector("[data-ts-place-search]");
    var results = document.querySelector("[data-ts-place-results]");
    if (search && results) {
      search.addEventListener("submit", function (event) {
        event.preventDefault();
        var query = search.querySelector("input[name=q]").value;
        var url = search.getAttribute("data-ts-place-search") + "?q=" + encodeURIComponent(query) +
          "&council=" + encodeURIComponent(root.getAttribute("data-council") || "");
        fetch(url).then(function (r) { return r.json(); }).then(function (data) {
          results.innerHTML = "";
          results.hidden = false;
          var heading = document.createElement("p");
          heading.className = "govuk-body";
          heading.setAttribute("role", "status");
          heading.textContent = data.places.length ? text(root, "choose-place")
            : text(root, "no-places");
          results.appendChild(heading);
          var list = document.createElement("ul");
          list.className = "govuk-list";
          data.places.forEach(function (place) {
            var item = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-1";
            var name = place.label || place.name;
            button.textContent = name + (place.kind === "council" ? "" : ", " + place.council.name);
            button.addEventListener("click", function () {
              if (place.bounds) {
                map.fitBounds([[place.bounds[0], place.bounds[1]], [place.bounds[2], place.bounds[3]]]);
                say(root, text(root, "framed").replace("%(place)s", name));
              } else {
                map.setView([place.lat, place.lng], 16);
                setPin(L.latLng(place.lat, place.lng),
                  text(root, "placed-at").replace("%(place)s", name));
              }
              canvas().focus();
            });
            item.appendChild(button);
            list.appendChild(item);
          });
          results.appendChild(list);
          // Whose street and postcode data this is, as its licence asks.
          (data.attributions || []).forEach(function (notice) {
            var line = document.createElement("p");
            line.className = "govuk-body-s ts-attribution";
            line.textContent = notice;
            results.appendChild(line);
          });
        }).catch(function () { say(root, text(root, "no-places")); });
      });
    }
    function canvas() { return root.querySelector(".ts-map__canvas"); }
  }

  document.querySelectorAll("[data-ts-map]").forEach(setUp);
})();
