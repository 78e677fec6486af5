/* "Send a code" without leaving the page (portal/phones/views.py): the report, and any files chosen,
 * stay as they are while the SMS is on its way. Without this script the button posts the whole form
 * and the page comes back filled in (portal/phones/forms.py). */
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  if (!endpoint || !window.fetch) return;

  function say(button, text, failed) {
    var note = button.parentNode.querySelector(".phone-code-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "phone-code-note form-text";
      note.setAttribute("role", "status");
      button.parentNode.appendChild(note);
    }
    note.textContent = text;
    note.classList.toggle("error", !!failed);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest('button[name="send_code"]');
    if (!button || !button.form) return;
    var form = button.form;
    var token = form.querySelector('input[name="csrf_token"]');
    var phone = form.querySelector('input[name="phone"]');
    if (!token || !phone) return; /* let the form post: the server answers the same */
    event.preventDefault();
    button.disabled = true;
    var body = new URLSearchParams();
    body.set("phone", phone.value);
    fetch(endpoint, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token.value, Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (answer) {
        say(button, answer.message || answer.error || "", !response.ok);
        var code = form.querySelector('input[name="code"]');
        if (response.ok && code) code.focus();
      });
    }).catch(function () {
      form.appendChild(Object.assign(document.createElement("input"),
                                     { type: "hidden", name: "send_code", value: "1" }));
      form.submit(); /* no answer: the plain way, the page comes back filled in */
    }).then(function () { button.disabled = false; });
  });
}());
