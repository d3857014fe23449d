// Trellis autosave: saves the client's draft a couple of seconds after they
// stop typing and says so ("Saved 14:02"). The form works the same without
// it: the "Save and finish later" button does the same thing.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  // The pause after typing before a save, in milliseconds (the server's
  // setting: two seconds).
  var pause = parseInt(form.getAttribute("data-autosave-pause"), 10) || 2000;
  var status = document.getElementById("save-status");
  var timer = null;
  var busy = false;
  var again = false;
  var sending = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (sending) { return; }
    if (busy) { again = true; return; }
    busy = true;
    again = false;
    say("Saving…");
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "op") { body.append(key, value); }
    });
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (j) { say("Saved " + j.saved_at); });
      }
      if (res.status === 409) {
        // This form was sent already (the back button): saving it again
        // would bring back older words. Say so, and stop saving.
        sending = true;
        say("This was already sent, so what you type here is not saved. To change what you sent, open it again from your homework.");
        return;
      }
      if (res.status === 401) {
        say("You were signed out, but your text is kept. When you press Send or Save, you will be asked to sign in and everything will be here.");
        return;
      }
      say("Not saved just now. Your text is still here; trying again in a moment.");
      again = true;
    }).catch(function () {
      say("Not saved just now. Your text is still here; trying again in a moment.");
      again = true;
    }).then(function () {
      busy = false;
      if (again) { schedule(5000); }
    });
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, ms);
  }

  form.addEventListener("input", function () { schedule(pause); });
  form.addEventListener("change", function () { schedule(pause); });
  form.addEventListener("submit", function () {
    sending = true;
    window.clearTimeout(timer);
  });
})();
