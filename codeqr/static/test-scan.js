// The "Test a scan" box (templates/qrcodes/_test_scan.html): answers in place from its JSON
// route (codeqr/web/test_scan.py) rather than reloading the page; without this script the
// form is a plain GET that re-renders the page with the answer. The user agent field shows
// only when "Another user agent…" is chosen.
"use strict";

function answerParts(parts) {
  // Built as nodes, never as HTML: URLs and values are the QR Code owner's text.
  const nodes = parts.map((part) => {
    if (part.kind !== "url") return document.createTextNode(part.text);
    const isolated = document.createElement("bdi");
    isolated.textContent = part.text;
    // Only a web address is a link: a code of another type opens tel:, mailto:…
    if (!/^https?:\/\//i.test(part.text)) return isolated;
    const link = document.createElement("a");
    link.href = part.text;
    link.rel = "noopener noreferrer";
    link.className = "url";
    link.append(isolated);
    return link;
  });
  return nodes;
}

function showProblems(form, problems) {
  form.querySelectorAll(".field-error").forEach((small) => {
    const name = small.dataset.for.slice(form.dataset.prefix.length);
    small.textContent = problems[name] || "";
    const field = form.elements[small.dataset.for];
    if (!field) return;
    if (problems[name]) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("test-scan-form");
  if (!form) return;
  const answer = document.getElementById("test-scan-answer");
  const device = document.getElementById("test-device");
  form.dataset.prefix = device.name.slice(0, -"device".length);
  const agent = form.querySelector("[data-custom-agent]");
  const showAgent = () => { agent.hidden = device.value !== "custom"; };
  device.addEventListener("change", showAgent);
  showAgent();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = new URLSearchParams(new FormData(form));
    params.set("timezone", Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
    answer.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${form.dataset.answerUrl}?${params}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      const body = await response.json();
      const problems = body.problems || {};
      showProblems(form, problems);
      if (response.ok) answer.replaceChildren(...answerParts(body.answer));
      else answer.textContent = problems[""] || "Some values cannot be tested: see the fields above.";
      answer.dataset.step = body.step || "";
    } catch (error) {
      answer.textContent = "The answer could not be fetched: try again, or reload the page.";
    } finally {
      answer.removeAttribute("aria-busy");
    }
  });
});
