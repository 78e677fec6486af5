/* The console's panel (templates/staff/alarms.html): the chosen alarm's detail beside the list, without
 * leaving the console.
 *
 * A click on a row or its link (Ctrl, Cmd, Shift or the middle button still open the full page, as the
 * link says), Enter on the selected row's link, O (static/js/console-keys.js) or a dot on the map
 * (static/js/alarms-map.js) fetches /staff/alarms/ID/panel: the detail the alarm's own page shows,
 * rendered by the server for this session, scoped and never cached like that page. It takes the map's
 * place; "Close the detail" or Esc gives the map back. The address becomes ?selected=ID
 * (history.pushState), so a reload, Back and Forward show the same; the server renders that address
 * with the panel filled, which is also the console without JavaScript.
 *
 * The panel's thread, positions and state stay live (window.PortalAlarmPage of
 * static/js/dispatcher-console.js, stopped when another alarm is shown); its forms post normally
 * and the server answers with the console, the alarm still selected. The HTML is our server's own,
 * escaped by its templates; it is parsed inert (DOMParser: nothing in it runs) and adopted. If it
 * cannot be loaded (signed out, refused, offline), the alarm's full page opens instead. */
(function () {
  "use strict";

  var root = document.querySelector("[data-alarm-console]");
  var panel = root && root.querySelector("[data-alarm-panel]");
  if (!panel || !window.fetch || !window.DOMParser || !window.history.pushState) return;
  var grid = root.querySelector(".console-grid");
  var body = panel.querySelector("[data-panel-body]");
  var status = panel.querySelector("[data-panel-status]");
  var consolePath = window.location.pathname;
  var live = null; // the PortalAlarmPage of the alarm shown
  var ticket = 0; // the latest request: an answer that arrives after a newer choice is dropped

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  function fullPage(id) { return panel.dataset.panelBase + id; }

  function idFromAddress() {
    var match = /[?&]selected=(\d{1,12})(&|$)/.exec(window.location.search);
    return match ? match[1] : null;
  }

  /* The row of the alarm shown is the console's selection too (N and P go on from it). */
  function selectRow(id) {
    var event = document.createEvent("CustomEvent");
    event.initCustomEvent("alarm-console-select", false, false, { id: id });
    root.dispatchEvent(event);
  }

  function startLive() {
    var article = body.querySelector("[data-alarm-page]");
    live = article && window.PortalAlarmPage ? window.PortalAlarmPage(article) : null;
  }

  function stopLive() {
    if (live) live.stop();
    live = null;
  }

  function setOpen(open) {
    panel.hidden = !open;
    grid.classList.toggle("has-selection", open);
    if (!open) {
      // The map was hidden behind the panel: Leaflet measures its box again.
      var box = root.querySelector(".alarms-map .location-map");
      if (box && box.portalMap) window.requestAnimationFrame(function () { box.portalMap.invalidateSize(); });
    }
  }

  function show(html) {
    var article = new DOMParser().parseFromString(html, "text/html").querySelector("[data-alarm-page]");
    if (!article) return false;
    stopLive();
    body.textContent = "";
    body.appendChild(document.adoptNode(article));
    startLive();
    return true;
  }

  /* Puts alarm `id` in the panel. options.push: a new history entry (not for Back and Forward);
   * options.focus: the panel's heading takes the focus (a choice made with the keyboard);
   * options.reveal: false leaves the page where it is (N and P move the panel along from the list). */
  function open(id, options) {
    options = options || {};
    id = String(id);
    var mine = ++ticket;
    selectRow(id);
    setOpen(true);
    status.textContent = fill(panel.dataset.msgLoading, { id: id });
    if (options.push !== false) window.history.pushState({ selected: id }, "", consolePath + "?selected=" + id);
    return fetch(fullPage(id) + "/panel", { credentials: "same-origin", cache: "no-store",
                                            headers: { Accept: "text/html" } })
      .then(function (response) {
        // A sign-in page after a redirect is not the detail: the full page will say what is wrong.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (mine !== ticket) return;
        if (!show(html)) throw new Error("no detail in the answer");
        status.textContent = "";
        var title = body.querySelector("#selected-alarm-title");
        if (options.focus && title) title.focus({ preventScroll: true });
        // The whole detail in view: beside the list it then stays there (sticky) while the list scrolls;
        // on a tablet it is below the list. Not for N and P, which keep the dispatcher in the list.
        if (options.reveal !== false && panel.getBoundingClientRect().top > 8) panel.scrollIntoView({ block: "start" });
      })
      .catch(function () {
        if (mine !== ticket) return;
        status.textContent = fill(panel.dataset.msgFailed, { id: id });
        window.location.assign(fullPage(id));
      });
  }

  function close(options) {
    ticket += 1;
    stopLive();
    body.textContent = "";
    status.textContent = "";
    setOpen(false);
    if (!options || options.push !== false) window.history.pushState({ selected: null }, "", consolePath);
  }

  root.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey) return;
    var target = event.target;
    if (target.closest("[data-panel-close]") && panel.contains(target)) {
      event.preventDefault();
      close();
      return;
    }
    var row = target.closest("tbody[data-open-rows] tr[data-alarm-id], tbody[data-ended-rows] tr[data-alarm-id]");
    if (!row) return;
    event.preventDefault();
    // event.detail is 0 for a link activated with Enter: the keyboard's user goes on in the panel.
    open(row.dataset.alarmId, { focus: event.detail === 0 && !!target.closest("a[href]") });
  });

  window.addEventListener("popstate", function () {
    var id = idFromAddress();
    if (id) open(id, { push: false, reveal: false });
    else if (!panel.hidden) close({ push: false });
  });

  var shown = body.querySelector("[data-alarm-page]"); // ?selected=ID, rendered by the server
  window.history.replaceState({ selected: shown ? shown.dataset.alarmId : null }, "", window.location.href);
  if (shown) startLive();

  window.PortalAlarmPanel = {
    open: open,
    close: close,
    isOpen: function () { return !panel.hidden; }
  };
})();
