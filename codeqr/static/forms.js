// The QR Code form: colour fields (a swatch and its hex text, kept in sync) and the live
// check, which says every problem of the form at once and shows the design it describes.
"use strict";

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// "#1A73E8", "1a73e8", "#fff" or "fff" as "#1a73e8"/"#ffffff"; null when it is no colour.
function hexColour(text) {
  const match = text.trim().match(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i);
  if (!match) return null;
  const digits = match[1].toLowerCase();
  return "#" + (digits.length === 3 ? [...digits].map((digit) => digit + digit).join("") : digits);
}

function colourFields(form) {
  form.querySelectorAll("input[data-swatch-for]").forEach((swatch) => {
    const text = document.getElementById(swatch.dataset.swatchFor);
    const follow = () => {
      const colour = hexColour(text.value);
      if (colour) swatch.value = colour;
      swatch.classList.toggle("unknown", !colour);  // the swatch does not pretend to show a colour it cannot read
    };
    text.addEventListener("input", follow);
    // Once people leave the field, a colour it can read is written the way CodeQR stores it.
    text.addEventListener("change", () => {
      const colour = hexColour(text.value);
      if (colour && colour !== text.value) text.value = colour;
    });
    swatch.addEventListener("input", (event) => {
      event.stopPropagation();  // the text field speaks for both
      text.value = swatch.value;
      text.dispatchEvent(new Event("input", { bubbles: true }));
    });
    swatch.addEventListener("change", (event) => {
      event.stopPropagation();
      text.dispatchEvent(new Event("change", { bubbles: true }));
    });
    follow();
  });
}

function livePreview(form) {
  const image = document.getElementById("preview");
  const status = document.getElementById("preview-status");
  const verdict = document.getElementById("scan-verdict");
  // Errors the server gave with the submitted form stay until their field changes: the
  // preview's own check must not wipe "key already taken" the moment the page loads.
  form.querySelectorAll(".field-error").forEach((slot) => { if (slot.textContent.trim()) slot.dataset.server = "1"; });
  const fieldChanged = (event) => {
    const slot = event.target.name && form.querySelector(`.field-error[data-for="${event.target.name}"]`);
    if (slot) delete slot.dataset.server;
  };
  let latest = 0;
  const refresh = debounce(async () => {
    const ticket = ++latest;
    status.textContent = "Updating…";
    let answer;
    try {
      const response = await fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form) });
      if (!response.ok) {
        if (ticket === latest) {
          status.textContent = response.status === 400
            ? "The preview stopped: this page has expired. Reload it (what you typed is not saved yet)."
            : "The preview could not be made (the server answered with an error). It will try again when you change a field.";
        }
        return;
      }
      answer = await response.json();
    } catch (error) {
      if (ticket === latest) {
        status.textContent = "The preview could not be updated (the server did not answer). It will try again when you change a field.";
      }
      return;
    }
    if (ticket !== latest) return;  // a newer request is on its way
    form.dispatchEvent(new CustomEvent("preview-answer", { detail: answer }));  // the design panel's verdicts
    // A form the check finds whole (as a save would) has no error left, the server's included.
    if (answer.ok) form.querySelectorAll(".field-error[data-server]").forEach((slot) => { delete slot.dataset.server; });
    form.querySelectorAll(".field-error:not([data-server])").forEach((slot) => {
      slot.textContent = "";
      const input = form.elements[slot.dataset.for];
      if (input && input.removeAttribute) input.removeAttribute("aria-invalid");
    });
    // The image shows the design the fields describe whenever they describe one, even one a
    // save would refuse; an image of what the fields no longer say is dimmed.
    if (answer.image) image.src = answer.image;
    image.classList.toggle("stale", !answer.image);
    image.classList.toggle("unscannable", Boolean(answer.unscannable));
    status.classList.toggle("warning", Boolean(answer.unscannable));
    // The scan check a save makes (decoded at its size and printed 2 cm wide), said under the image.
    verdict.hidden = !answer.scan;
    verdict.textContent = answer.scan ? answer.scan.sentence : "";
    verdict.classList.toggle("warning", Boolean(answer.scan && !answer.scan.decodes));
    if (answer.ok) {
      if (answer.static) {
        status.textContent = `Preview up to date (error correction ${answer.level}). It holds the content itself: scanning it works already.`;
      } else if (answer.link) {
        const link = document.createElement("code");
        link.className = "short-link";  // never broken inside
        link.textContent = answer.link;
        status.replaceChildren("Preview up to date (error correction ", answer.level, "). It opens ", link);
      } else {
        status.textContent = `Preview of the design (error correction ${answer.level}). The short link is made when you create the QR Code: scan the saved one, not this preview.`;
      }
      return;
    }
    for (const [name, message] of Object.entries(answer.errors || {})) {
      const slot = form.querySelector(`.field-error[data-for="${name}"]`);
      if (slot && !slot.dataset.server) slot.textContent = message;
      const input = form.elements[name];
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    }
    // Named in the order of the form, top to bottom.
    const labels = [...form.querySelectorAll(".field-error")].map((slot) => (answer.labels || {})[slot.dataset.for]).filter(Boolean);
    const fix = labels.length ? `fix: ${labels.join(", ")}.` : "fix the fields marked.";
    if (answer.unscannable) {
      status.textContent = `Warning: this design may not scan. Before saving, ${fix}`;
    } else if (answer.image) {
      status.textContent = `Preview of the design. Before saving, ${fix}`;
    } else {
      status.textContent = labels.length ? `To see the preview, ${fix}` : "Fix the fields marked to see the preview.";
    }
  }, 300);
  const linkWarning = document.getElementById("link-warning");
  const warnOfLinkChange = () => {
    // A scanned QR Code is printed somewhere: say so before its short link moves.
    if (!linkWarning) return;
    const key = form.elements.key.value.trim();
    linkWarning.hidden = (key === "" || key === form.dataset.key) && form.elements.domain.value === form.dataset.domain;
  };
  const showExample = () => {
    // The chosen domain's example destination, as its option carries it (the Domains page sets it).
    const option = form.elements.domain.selectedOptions[0];
    form.elements.url.placeholder = (option && option.dataset.placeholder) || "";
  };
  form.elements.domain.addEventListener("change", showExample);
  form.addEventListener("input", (event) => { fieldChanged(event); warnOfLinkChange(); refresh(); });
  form.addEventListener("change", (event) => { fieldChanged(event); warnOfLinkChange(); refresh(); });
  if (form.elements.url.value) refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("qrcode-form");
  if (!form) return;
  colourFields(form);
  livePreview(form);
});
