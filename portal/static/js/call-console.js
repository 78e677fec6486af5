/* Calls on the dispatcher console (templates/calls/_ring.html): every open call of the centers in scope,
 * polled every 1.5 s. A ringing call shows at the top in red and rings (a double tone every two seconds,
 * once the browser allows sound after a click on the page); calls others took say who took them. */
(function () {
  "use strict";

  var root = document.getElementById("call-ring");
  if (!root) return;
  var list = document.getElementById("call-ring-list");
  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  var Context = window.AudioContext || window.webkitAudioContext;
  var audio = Context ? new Context() : null;
  var ringing = false;
  document.addEventListener("click", function () { if (audio) audio.resume().catch(function () {}); });

  function tone() {
    if (!ringing || !audio || audio.state !== "running") return;
    var start = audio.currentTime + 0.01;
    [0, 0.25].forEach(function (offset) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = 660;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.22);
    });
  }
  setInterval(tone, 2000);

  function row(call) {
    var item = document.createElement("li");
    item.className = "call-ring-item call-" + call.state;
    item.setAttribute("data-call-id", call.id);
    var what = document.createElement("strong");
    what.textContent = call.state_label + " · " + call.unit;
    var note = document.createElement("span");
    note.textContent = " " + (call.state === "ringing" ? fill(msg("ringing"), { since: call.since })
      : call.mine ? msg("mine") : fill(msg("taken"), { name: call.taken_by })) + " ";
    var link = document.createElement("a");
    link.href = call.alarm_url;
    link.textContent = msg("open");
    item.appendChild(what);
    item.appendChild(note);
    item.appendChild(link);
    return item;
  }

  function poll() {
    fetch(root.getAttribute("data-calls"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer) {
          list.textContent = "";
          answer.calls.forEach(function (call) { list.appendChild(row(call)); });
          root.hidden = !answer.calls.length;
          ringing = answer.ringing > 0;
          root.classList.toggle("ringing", ringing);
        }
        setTimeout(poll, 1500);
      }, function () { setTimeout(poll, 3000); });
  }
  poll();
})();
