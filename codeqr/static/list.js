// The QR Codes list: folded tools on phones, a floating selection bar (this page or every
// code matching the search), Copy buttons, row menus, and one Tab stop per row.
"use strict";

function foldTools(tools) {
  // On phones the search and the sort wait behind a button each; wide screens show them (CSS).
  const buttons = tools.querySelector("[data-tool-buttons]");
  if (!buttons) return;
  buttons.hidden = false;
  tools.dataset.folded = "";
  buttons.querySelectorAll("button[aria-controls]").forEach((button) => {
    const panel = document.getElementById(button.getAttribute("aria-controls"));
    const show = (open) => {
      button.setAttribute("aria-expanded", String(open));
      panel.classList.toggle("open", open);
    };
    // A search under way stays in sight.
    show(Boolean(panel.querySelector("input[type=search]") && panel.querySelector("input[type=search]").value));
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      show(open);
      if (open) panel.querySelector("input, select").focus();
    });
  });
  tools.querySelectorAll("[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
}

function selection(form) {
  // The bar floats at the foot of the window while rows are ticked: nothing above it moves.
  const bar = form.querySelector("[data-bulk-bar]");
  const all = form.querySelector("[data-select-all]");
  const items = [...form.querySelectorAll('input[name="ids"]')];
  const words = bar.querySelector("[data-selection-words]");
  const everyMatching = bar.querySelector("[data-select-matching]");
  const matchingInput = bar.querySelector("[data-all-matching]");
  let matching = false;
  const update = () => {
    const count = items.filter((item) => item.checked).length;
    if (count < items.length) matching = false;  // unticking one leaves "every matching"
    matchingInput.value = matching ? "1" : "";
    const strong = document.createElement("strong");
    if (matching) {
      strong.textContent = `All ${everyMatching.dataset.total}`;
      words.replaceChildren(strong, " matching selected, on every page");
    } else {
      strong.textContent = String(count);
      strong.dataset.selectedCount = "";
      words.replaceChildren(strong, " selected");
    }
    if (everyMatching) everyMatching.hidden = matching || count < items.length;
    bar.hidden = count === 0;
    all.checked = count > 0 && count === items.length;
    all.indeterminate = count > 0 && count < items.length;
  };
  all.addEventListener("change", () => { items.forEach((item) => { item.checked = all.checked; }); update(); });
  items.forEach((item) => item.addEventListener("change", update));
  if (everyMatching) {
    everyMatching.addEventListener("click", () => {
      matching = true;
      update();
      bar.querySelector("summary").focus();
    });
  }
  bar.querySelector("[data-clear-selection]").addEventListener("click", () => {
    items.forEach((item) => { item.checked = false; });
    update();
    all.focus();  // the bar is gone: focus stays on the list
  });
  update();
}

function copyButtons(form, status) {
  form.querySelectorAll("[data-copy-link]").forEach((button) => {
    const label = button.firstChild;  // "Copy": the rest names the row for screen readers
    button.addEventListener("click", async () => {
      let said;
      try {
        await navigator.clipboard.writeText(button.dataset.copyLink);
        label.textContent = "Copied";
        said = `Copied ${button.dataset.copyLink}`;
      } catch (error) {
        label.textContent = "Not copied";
        said = `Could not copy: the short link is ${button.dataset.copyLink}`;
      }
      status.textContent = said;
      clearTimeout(button.sayTimer);
      button.sayTimer = setTimeout(() => { label.textContent = "Copy"; }, 2500);
    });
  });
}

function rowMenus(form) {
  const menus = [...form.querySelectorAll("details.dropdown")];
  const close = (menu) => { menu.open = false; };
  menus.forEach((menu) => {
    menu.addEventListener("toggle", () => {
      if (menu.open) menus.filter((other) => other !== menu).forEach(close);  // one menu at a time
    });
    menu.addEventListener("keydown", (event) => {
      if (!menu.open) return;
      const links = [...menu.querySelectorAll("a, button, input")];
      const at = links.indexOf(document.activeElement);
      if (event.key === "Escape") {
        close(menu);
        menu.querySelector("summary").focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : -1;
        links[Math.max(0, Math.min(links.length - 1, at + step))].focus();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
  });
  document.addEventListener("click", (event) => {
    menus.filter((menu) => menu.open && !menu.contains(event.target)).forEach(close);
  });
}

function oneStopPerRow(table) {
  // Tab goes from row to row (its name); the arrows reach the row's box, Copy and menu.
  const rows = [...table.querySelectorAll("tbody tr")];
  const controls = (row) => [...row.querySelectorAll(
    "td.select input, td.name a, button[data-copy-link], td.actions summary")];
  rows.forEach((row) => {
    controls(row).forEach((control) => { if (!control.matches("td.name a")) control.tabIndex = -1; });
    row.addEventListener("keydown", (event) => {
      if (event.target.closest("details[open] ul")) return;  // the open menu has its own keys
      const own = controls(row);
      const at = own.indexOf(event.target);
      if (at < 0) return;
      let next;
      if (event.key === "ArrowRight") next = own[at + 1];
      else if (event.key === "ArrowLeft") next = own[at - 1];
      else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const other = rows[rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
        next = other && controls(other)[at];
      } else return;
      event.preventDefault();
      if (next) next.focus();
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const tools = document.querySelector("[data-list-tools]");
  if (tools) foldTools(tools);
  const form = document.getElementById("list-selection");
  if (!form) return;
  selection(form);
  copyButtons(form, document.querySelector("[data-list-status]"));
  rowMenus(form);
  oneStopPerRow(form.querySelector("table.list"));
});

// The folder sidebar is a drawer on phones: closed until asked (wide screens always show it).
document.querySelectorAll("[data-folder-drawer]").forEach((drawer) => {
  if (window.matchMedia("(max-width: 600px)").matches) drawer.open = false;
});
// The filter panel's empty fields stay out of the address: a shared link says only what was chosen.
document.querySelectorAll("[data-filter-form]").forEach((form) => {
  const fields = () => form.querySelectorAll("input, select");
  form.addEventListener("submit", () => {
    fields().forEach((field) => { if (!field.value && field.name) field.disabled = true; });
  });
  // Back to this page from the browser's cache: the fields work again.
  window.addEventListener("pageshow", () => fields().forEach((field) => { field.disabled = false; }));
});
