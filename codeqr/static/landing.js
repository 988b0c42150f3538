// A landing page's copy buttons, shown only where the browser can copy: the page reads the
// same without them (the text is there to select).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (error) {
        button.textContent = "Could not copy: select the text instead";
      }
      clearTimeout(button.timer);
      button.timer = setTimeout(() => { button.textContent = label; }, 2500);
    });
  });
});
