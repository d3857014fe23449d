// Copy buttons for fields a person copies from, such as a new sign-in link.
// Without this script the field is still there, readonly and selectable;
// with it, focusing the field selects all of it and the Copy button shows.
(() => {
  "use strict";

  for (const input of document.querySelectorAll("input[data-select-on-focus]")) {
    input.addEventListener("focus", () => input.select());
  }

  for (const button of document.querySelectorAll("button[data-copy]")) {
    const input = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!input) continue;
    const say = (text) => { if (status) status.textContent = text; };
    button.hidden = false;
    button.addEventListener("click", async () => {
      input.focus();
      input.select();
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(input.value);
        } else if (!document.execCommand("copy")) {
          throw new Error("copy refused");
        }
        say("Copied. Paste it into a private message.");
      } catch {
        say("Copying did not work here: the link is selected, press Ctrl+C (or ⌘C) to copy it.");
      }
    });
  }
})();
