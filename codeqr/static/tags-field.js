// The QR Code form's tags field as chips: each tag in its colour, removable, added from an
// autocomplete of the instance's tags (the page's #tag-choices) or typed anew (a chip marked
// "new": saving makes the tag). The chips write the names back into the field, which the form
// posts as it would without this script: names separated by commas, a name holding a comma
// or a quote written in quotes (codeqr/web/organise.py reads them the same way).
"use strict";

const MAX_NAME = 50;  // schemas.TagName
const MAX_TAGS = 50;  // schemas.MAX_TAGS
const MAX_SUGGESTIONS = 8;

// The names of "a, \"b, c\", d" (as Python's csv module reads them, spaces after commas skipped).
function splitNames(text) {
  const names = [];
  let current = "", quoted = false, started = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') { current += '"'; i++; }
      else if (char === '"') quoted = false;
      else current += char;
    } else if (char === ",") {
      names.push(current); current = ""; started = false;
    } else if (char === '"' && !started) {
      quoted = true; started = true;
    } else if (char === " " && !started) {
      // spaces before a name are skipped
    } else {
      current += char; started = true;
    }
  }
  names.push(current);
  return names.map((name) => name.trim()).filter(Boolean);
}

function joinNames(names) {
  return names.map((name) => (/[",]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name)).join(", ");
}

function tagsField(hidden, choices) {
  const form = hidden.form;
  const label = form.querySelector(`label[for="${hidden.id}"]`);
  const errorSlot = form.querySelector(`.field-error[data-for="${hidden.name}"]`);
  const known = new Map(choices.map((tag) => [tag.name.toLowerCase(), tag]));
  let chosen = [];  // {name, color|null}: null for a tag saving will make

  const editor = document.createElement("div");
  editor.className = "tag-editor";
  const chips = document.createElement("ul");
  chips.className = "tag-chips";
  chips.setAttribute("aria-label", "Tags chosen");
  const entry = document.createElement("input");
  entry.type = "text";
  entry.id = `${hidden.id}-entry`;
  entry.className = "tag-entry";
  entry.autocomplete = "off";
  entry.spellcheck = false;
  entry.placeholder = "Add a tag…";
  entry.setAttribute("role", "combobox");
  entry.setAttribute("aria-autocomplete", "list");
  entry.setAttribute("aria-expanded", "false");
  entry.setAttribute("aria-controls", `${hidden.id}-suggestions`);
  entry.setAttribute("aria-describedby", hidden.getAttribute("aria-describedby") || "");
  const list = document.createElement("ul");
  list.id = `${hidden.id}-suggestions`;
  list.className = "tag-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Tags to add");
  list.hidden = true;
  const said = document.createElement("p");
  said.className = "visually-hidden";
  said.setAttribute("role", "status");
  editor.append(chips, entry, list);
  hidden.after(editor, said);
  hidden.type = "hidden";
  if (label) label.htmlFor = entry.id;

  const complain = (message) => { if (errorSlot) { errorSlot.textContent = message; delete errorSlot.dataset.server; } };

  function write() {
    hidden.value = joinNames(chosen.map((tag) => tag.name));
    hidden.dispatchEvent(new Event("input", { bubbles: true }));  // the live check and preview
  }

  function draw() {
    chips.replaceChildren(...chosen.map((tag) => {
      const item = document.createElement("li");
      const chip = document.createElement("span");
      chip.className = `tag-chip ${tag.color ? `tag-${tag.color}` : "tag-new"}`;
      const name = document.createElement("span");
      name.textContent = tag.name;
      chip.append(name);
      if (!tag.color) {
        const mark = document.createElement("span");
        mark.className = "tag-new-mark";
        mark.textContent = "new";
        mark.title = "A new tag: saving makes it";
        chip.append(mark);
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "tag-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove the tag ${tag.name}`);
      remove.addEventListener("click", () => {
        chosen = chosen.filter((other) => other !== tag);
        said.textContent = `Tag ${tag.name} removed.`;
        draw(); write(); entry.focus();
      });
      chip.append(remove);
      item.append(chip);
      return item;
    }));
  }

  // Add the tag ``text`` names (an existing tag whatever its case); false when refused.
  function add(text) {
    const name = text.trim();
    if (!name) return true;
    if (name.length > MAX_NAME) {
      complain(`A tag name has at most ${MAX_NAME} characters: “${name.slice(0, 30)}…” has ${name.length}.`);
      return false;
    }
    if (chosen.some((tag) => tag.name.toLowerCase() === name.toLowerCase())) return true;
    if (chosen.length >= MAX_TAGS) {
      complain(`A QR Code carries at most ${MAX_TAGS} tags.`);
      return false;
    }
    const tag = known.get(name.toLowerCase());
    chosen.push(tag ? { name: tag.name, color: tag.color } : { name, color: null });
    said.textContent = tag ? `Tag ${tag.name} added.` : `New tag ${name} added: saving makes it.`;
    complain("");
    return true;
  }

  let active = -1;
  function suggestions() {
    const typed = entry.value.trim().toLowerCase();
    const taken = new Set(chosen.map((tag) => tag.name.toLowerCase()));
    const found = choices.filter((tag) => !taken.has(tag.name.toLowerCase()) && tag.name.toLowerCase().includes(typed));
    // Those starting with what is typed first.
    found.sort((a, b) => Number(!a.name.toLowerCase().startsWith(typed)) - Number(!b.name.toLowerCase().startsWith(typed)));
    const shown = found.slice(0, MAX_SUGGESTIONS).map((tag) => ({ name: tag.name, color: tag.color }));
    if (typed && !known.has(typed) && !taken.has(typed)) shown.push({ name: entry.value.trim(), color: null });
    return shown;
  }

  function showSuggestions() {
    const shown = entry === document.activeElement ? suggestions() : [];
    active = -1;
    list.replaceChildren(...shown.map((tag, index) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.name = tag.name;
      const chip = document.createElement("span");
      chip.className = `tag-chip ${tag.color ? `tag-${tag.color}` : "tag-new"}`;
      chip.textContent = tag.name;
      option.append(tag.color ? "" : "Create ", chip, tag.color ? "" : " (new tag)");
      option.addEventListener("mousedown", (event) => event.preventDefault());  // the entry keeps the focus
      option.addEventListener("click", () => pick(tag.name));
      return option;
    }));
    list.hidden = shown.length === 0;
    entry.setAttribute("aria-expanded", String(!list.hidden));
    entry.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    const options = [...list.children];
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach((option, at) => option.setAttribute("aria-selected", String(at === active)));
    entry.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function pick(name) {
    if (add(name)) {
      entry.value = "";
      draw(); write();
    }
    showSuggestions();
  }

  // What is typed becomes chips at each comma (a pasted list too); ``all``: the last part too.
  // A name refused stays typed, for people to fix.
  function takeTyped(all) {
    const parts = entry.value.split(",");
    const rest = all ? [] : [parts.pop()];
    const refused = parts.filter((part) => !add(part));
    entry.value = [...refused, ...rest].join(",").trimStart();
    draw(); write();
  }

  entry.addEventListener("input", () => {
    if (entry.value.includes(",")) takeTyped(false);
    showSuggestions();
  });
  entry.addEventListener("focus", showSuggestions);
  entry.addEventListener("blur", () => {
    if (entry.value.trim()) takeTyped(true);
    list.hidden = true;
    entry.setAttribute("aria-expanded", "false");
  });
  entry.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) showSuggestions();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();  // a tag, not the form's submission
      if (active >= 0 && list.children[active]) pick(list.children[active].dataset.name);
      else if (entry.value.trim()) pick(entry.value);
    } else if (event.key === "Escape" && !list.hidden) {
      list.hidden = true;
      entry.setAttribute("aria-expanded", "false");
      event.preventDefault();
    } else if (event.key === "Backspace" && entry.value === "" && chosen.length) {
      const last = chosen.pop();
      said.textContent = `Tag ${last.name} removed.`;
      draw(); write(); showSuggestions();
    }
  });
  editor.addEventListener("click", (event) => { if (event.target === editor || event.target === chips) entry.focus(); });

  // The names the page came with, as they are (one the server refused is said beside the field).
  for (const name of splitNames(hidden.value)) {
    const tag = known.get(name.toLowerCase());
    chosen.push(tag ? { name: tag.name, color: tag.color } : { name, color: null });
  }
  draw();
}

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("tag-choices");
  const choices = source ? JSON.parse(source.textContent) : [];
  document.querySelectorAll("input[data-tag-input]").forEach((input) => tagsField(input, choices));
});
