/* Starting a trip (templates/trips/new.html, started.html).
 *
 * On the form: guardian slots after the first that are still empty fold away behind an "Add another
 * guardian" button (without this script all five slots simply show). On the result page: "Copy"
 * buttons next to each link. Words come from data-msg-* attributes. */
(function () {
  "use strict";

  function isEmpty(slot) {
    return Array.prototype.every.call(slot.querySelectorAll("input:not([type=hidden])"), function (input) {
      return !input.value;
    });
  }

  document.querySelectorAll("[data-guardian-slots]").forEach(function (box) {
    var slots = Array.prototype.slice.call(box.querySelectorAll("[data-guardian-slot]"));
    var shown = 1;
    slots.forEach(function (slot, index) {
      if (!isEmpty(slot) || slot.querySelector(".invalid-feedback")) shown = index + 1;
    });
    shown = Math.max(shown, 1);
    slots.forEach(function (slot, index) { slot.hidden = index >= shown; });
    if (shown >= slots.length) return;
    var add = document.createElement("button");
    add.type = "button";
    add.className = "btn guardian-add";
    add.textContent = box.dataset.msgAdd;
    add.addEventListener("click", function () {
      var next = slots.filter(function (slot) { return slot.hidden; })[0];
      if (!next) return;
      next.hidden = false;
      var input = next.querySelector("input:not([type=hidden])");
      if (input) input.focus();
      if (!slots.some(function (slot) { return slot.hidden; })) add.remove();
    });
    box.appendChild(add);
  });

  var status = document.querySelector("[data-copy-status]");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) status.textContent = status.dataset.msgCopied;
      }, function () {
        if (status) status.textContent = status.dataset.msgFailed;
      });
    });
  });
})();
