// The content part of the QR Code form: the type picker shows only the chosen type's fields,
// the static box follows what the type allows, and on a static code's edit page a change of
// content brings up the warning that printed copies keep the old content. Without this
// script every fieldset shows and the chosen radio decides what is saved.
"use strict";

function contentPicker(group) {
  const radios = [...group.querySelectorAll("input.type-radio")];
  const staticBox = group.querySelector('input[type="checkbox"][name="static"]');  // not its blank twin
  const only = (group.dataset.staticOnly || "").split(" ");
  const never = (group.dataset.staticNever || "").split(" ");
  let ownChoice = staticBox ? staticBox.checked : false;  // what people ticked where they may choose
  const chosen = () => (radios.find((radio) => radio.checked) || radios[0]).value;

  const show = () => {
    const type = chosen();
    group.querySelectorAll(".type-fields").forEach((fields) => {
      fields.hidden = !fields.dataset.types.split(" ").includes(type);
    });
    if (!staticBox) return;
    const forced = only.includes(type) ? "only" : never.includes(type) ? "never" : null;
    if (!forced && staticBox.disabled) staticBox.checked = ownChoice;
    staticBox.disabled = Boolean(forced);
    if (forced) staticBox.checked = forced === "only";
    group.querySelectorAll(".static-forced").forEach((hint) => { hint.hidden = hint.dataset.when !== forced; });
  };
  if (staticBox) staticBox.addEventListener("change", () => { if (!staticBox.disabled) ownChoice = staticBox.checked; });
  radios.forEach((radio) => radio.addEventListener("change", show));
  show();

  // A static code's content is printed in it: changing it here leaves printed copies as they are.
  const warning = document.getElementById("static-warning");
  if (warning) {
    const fields = [...group.querySelectorAll("input[name], textarea[name], select[name]")]
      .filter((input) => input.type !== "hidden" && input.name !== "static" && input.name !== "use_display_page");
    const valueOf = (input) => (input.type === "checkbox" || input.type === "radio" ? String(input.checked) : input.value);
    const before = new Map(fields.map((input) => [input, valueOf(input)]));
    const check = () => { warning.hidden = fields.every((input) => valueOf(input) === before.get(input)); };
    group.addEventListener("input", check);
    group.addEventListener("change", check);
    check();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const group = document.getElementById("content-fields");
  if (group) contentPicker(group);
});
