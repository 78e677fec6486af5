/* Proof of work for public forms: solves the challenge of each <div data-pow> (templates/deform/pow.pt).
 *
 * Finds a nonce such that sha256(challenge + ":" + nonce) starts with data-pow-bits zero bits, in
 * small batches so the page stays responsive, and puts it in the hidden pow_nonce input. Until then
 * the form's send buttons are disabled and a status line (words from data-msg-*, already in the
 * page's language) says the form is being prepared. Without this script, or without WebCrypto, the
 * nonce stays empty and the server applies its stricter no-JavaScript limit instead. No inline code,
 * no network access (strict CSP). */
(function () {
  "use strict";

  var BATCH = 256; // digests awaited together before the page gets a turn

  function zeroBits(buffer) {
    var bytes = new Uint8Array(buffer);
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }

  function sendButtons(form) {
    return form.querySelectorAll('button[type="submit"], input[type="submit"], button:not([type])');
  }

  function setReady(box, form, ready) {
    box.setAttribute("data-pow-state", ready ? "solved" : "solving");
    sendButtons(form).forEach(function (button) { button.disabled = !ready; });
    var status = box.querySelector(".pow-status");
    if (status) {
      status.textContent = box.getAttribute(ready ? "data-msg-ready" : "data-msg-preparing") || "";
      status.hidden = false;
    }
  }

  function solve(box) {
    var form = box.closest("form");
    var nonceInput = box.querySelector('input[name="pow_nonce"]');
    var challenge = box.getAttribute("data-pow") || "";
    var bits = parseInt(box.getAttribute("data-pow-bits"), 10) || 0;
    if (!form || !nonceInput || !(window.crypto && window.crypto.subtle) || !window.TextEncoder) return;
    var encoder = new TextEncoder();
    var solved = false;
    // Capture phase: runs before any other submit handler (the upload progress script, for one).
    form.addEventListener("submit", function (event) {
      if (!solved) { event.preventDefault(); event.stopImmediatePropagation(); }
    }, true);
    setReady(box, form, false);

    function attempt(counter) {
      var nonce = String(counter);
      return window.crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + nonce))
        .then(function (digest) { return zeroBits(digest) >= bits ? nonce : null; });
    }

    function batch(start) {
      var tries = [];
      for (var i = 0; i < BATCH; i++) tries.push(attempt(start + i));
      return Promise.all(tries).then(function (results) {
        for (var j = 0; j < results.length; j++) {
          if (results[j] !== null) return results[j];
        }
        return new Promise(function (resolve) { setTimeout(resolve, 0); })
          .then(function () { return batch(start + BATCH); });
      });
    }

    batch(0).then(function (nonce) {
      nonceInput.value = nonce;
      solved = true;
      setReady(box, form, true);
    }, function () {
      // WebCrypto refused (an old browser): send without a nonce, like a browser without JavaScript.
      solved = true;
      setReady(box, form, true);
    });
  }

  function start() {
    document.querySelectorAll("[data-pow]").forEach(solve);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
