/* Keyboard shortcuts of the dispatcher console (templates/staff/alarms.html) and of one alarm
 * (templates/staff/alarm.html), listed on both pages in "Keyboard shortcuts".
 *
 * Console: N next open alarm, P previous, O (or Enter on the selected row's link) shows it in the panel
 * beside the list (static/js/alarm-panel.js; its full page where the panel is missing), N and P move
 * the panel along once it is open, Esc closes it, K acknowledges the selected alarm when it is new
 * (the console comes back with it selected), A opens the ringing call to answer it.
 * One alarm: K acknowledges, A answers the ringing call, L back to the list.
 * A key never fires while typing (inputs, text areas, selects, editable text) or with Ctrl, Alt or Meta,
 * so the dispatcher's messages and reasons are never cut short by a shortcut. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function onKeys(handlers) {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
      var handler = handlers[(event.key || "").toLowerCase()];
      if (handler && handler() !== false) event.preventDefault();
    });
  }

  function answerRinging() {
    var answer = document.getElementById("call-desk-answer");
    if (answer && !answer.hidden && !answer.disabled) { answer.click(); return true; }
    var ringing = document.querySelector("#call-ring-list a[href]");
    if (ringing) { window.location.assign(ringing.href); return true; }
    return false;
  }

  function consoleKeys(root) {
    // The live feed replaces a row whenever its alarm changes: the selection is kept by the alarm's id.
    var selected = root.querySelector("[data-open-rows] tr.is-selected"); // ?selected=ID, from the server
    var selectedId = selected ? selected.dataset.alarmId : null;
    function rows() {
      return Array.prototype.slice.call(root.querySelectorAll("[data-open-rows] tr[data-alarm-id]"));
    }
    function mark(row, focus) {
      rows().forEach(function (other) {
        if (other !== row) { other.classList.remove("is-selected"); other.removeAttribute("aria-current"); }
      });
      selected = row;
      if (!row) return;
      row.classList.add("is-selected");
      row.setAttribute("aria-current", "true");
      var link = row.querySelector("a[href]");
      if (focus && link) link.focus();
    }
    function select(row) {
      selectedId = row ? row.dataset.alarmId : null;
      mark(row, true);
      if (row) row.scrollIntoView({ block: "nearest" });
    }
    var body = root.querySelector("[data-open-rows]");
    if (body && window.MutationObserver) {
      new MutationObserver(function () {
        if (selectedId === null) return;
        var row = body.querySelector('tr[data-alarm-id="' + selectedId + '"]');
        if (row === selected && row && row.classList.contains("is-selected")) return;
        mark(row, false);  // never moves the focus (or the page) under the dispatcher's pointer
      }).observe(body, { childList: true });
    }
    // The panel shows an alarm (a click, a dot on the map, Back): that row is the selection.
    root.addEventListener("alarm-console-select", function (event) {
      selectedId = event.detail.id;
      mark(root.querySelector('[data-open-rows] tr[data-alarm-id="' + selectedId + '"]'), false);
    });
    var panel = function () { return window.PortalAlarmPanel; };
    function step(by) {
      var all = rows();
      if (!all.length) return false;
      var at = all.indexOf(selected);
      select(all[at < 0 ? (by > 0 ? 0 : all.length - 1) : (at + by + all.length) % all.length]);
      if (panel() && panel().isOpen()) panel().open(selectedId, { reveal: false });
      return true;
    }
    function acknowledge() {
      if (!selected || !selected.classList.contains("state-new")) return false;
      var form = document.createElement("form");
      form.method = "post";
      form.action = selected.querySelector("a[href]").getAttribute("href");
      [["csrf_token", root.dataset.csrf], ["action", "step"], ["step", "acknowledge"],
       ["return", "console"]].forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
      return true;
    }
    onKeys({
      n: function () { return step(1); },
      p: function () { return step(-1); },
      o: function () {
        if (!selected) return false;
        if (panel()) panel().open(selectedId, { focus: true });
        else window.location.assign(selected.querySelector("a[href]").getAttribute("href"));
        return true;
      },
      escape: function () {
        if (!panel() || !panel().isOpen()) return false;
        panel().close();
        if (selected && selected.querySelector("a[href]")) selected.querySelector("a[href]").focus();
        return true;
      },
      k: acknowledge,
      a: answerRinging
    });
  }

  function alarmKeys(root) {
    onKeys({
      k: function () {
        var button = document.querySelector("form.step-acknowledge button[type=submit]");
        if (!button) return false;
        button.click();
        return true;
      },
      a: answerRinging,
      l: function () { window.location.assign(root.dataset.consoleUrl); return true; }
    });
  }

  var consoleRoot = document.querySelector("[data-alarm-console]");
  if (consoleRoot) consoleKeys(consoleRoot);
  var alarmRoot = document.querySelector("[data-alarm-keys]");
  if (alarmRoot) alarmKeys(alarmRoot);
}());
