// The QR Code form's design panel: the contrast verdicts follow each preview answer (the
// server words them with the rules a save applies), the gradient's controls show when a
// gradient is chosen, and the logo drop zone takes a dropped or chosen file (posted with the
// form) and shows it. Without this script every control shows and a chosen file is posted.
"use strict";

function contrastVerdicts(form) {
  form.addEventListener("preview-answer", (event) => {
    const said = event.detail.verdicts || {};
    form.querySelectorAll(".contrast-verdict").forEach((slot) => {
      const verdict = said[slot.dataset.for];
      slot.textContent = verdict ? verdict[1] : "";
      if (verdict) slot.dataset.level = verdict[0]; else delete slot.dataset.level;
    });
  });
}

function gradientControls(form) {
  const type = form.elements["fg_gradient-type"];
  const nested = form.querySelector('[data-nested="fg_gradient"]');
  if (!type || !nested) return;
  const ends = [...form.querySelectorAll('input[type="text"][name="fg_gradient-colors"]')];
  const rotation = form.elements["fg_gradient-rotation"];
  const show = () => {
    const chosen = type.value;
    nested.classList.toggle("gradient-off", !chosen);
    nested.classList.toggle("gradient-radial", chosen === "radial");
    // A gradient chosen without colours starts from the foreground colour.
    if (chosen && ends.every((input) => !input.value.trim())) {
      ends[0].value = form.elements.fg_color.value || "#000000";
      ends[1].value = "#1a73e8";
      ends.forEach((input) => input.dispatchEvent(new Event("input", { bubbles: true })));
    }
    if (rotation && !rotation.value.trim()) rotation.value = "0";
  };
  type.addEventListener("change", show);
  show();
}

function logoDrop(form) {
  const zone = document.getElementById("logo-drop");
  if (!zone) return;
  const file = document.getElementById("logo-file");
  const kept = form.elements.logo;
  const thumb = document.getElementById("logo-thumb");
  const state = document.getElementById("logo-state");
  const remove = document.getElementById("logo-remove");
  const showLogo = form.querySelector('input[type="checkbox"][name="show_logo"]');
  let shown = null;
  const changed = () => form.dispatchEvent(new Event("change", { bubbles: true }));
  const take = (files) => {
    if (!files || !files.length) return;
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(files[0]);
    thumb.src = shown;
    thumb.hidden = false;
    remove.hidden = false;
    state.textContent = `${files[0].name} will be saved with the QR Code.`;
    // The logo is only drawn with "Show the logo": choosing one says so.
    if (showLogo && !showLogo.checked) {
      showLogo.checked = true;
      state.textContent += " “Show the logo in the centre” is now ticked.";
    }
  };
  file.addEventListener("change", () => take(file.files));
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("dragging")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    file.files = event.dataTransfer.files;  // posted with the form, as a chosen file is
    take(file.files);
    changed();
  });
  remove.addEventListener("click", () => {
    file.value = "";
    kept.value = "";
    thumb.hidden = true;
    thumb.removeAttribute("src");
    remove.hidden = true;
    state.textContent = "No logo of its own: the instance's logo is drawn when “Show the logo” is ticked.";
    changed();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("qrcode-form");
  if (!form || !document.getElementById("design-fields")) return;
  contrastVerdicts(form);
  gradientControls(form);
  logoDrop(form);
});
