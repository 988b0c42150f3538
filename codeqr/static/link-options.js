// The QR Code form's link options: the expiry in the browser's time zone, the countries
// and rules editors (rows that write the JSON of their text area, which the server checks),
// and the URL a scan goes to with the UTM parameters. Without this script the text areas
// take JSON and the expiry is read in the zone the page names (UTC).
"use strict";

// Tell the form (its live check) that a field changed.
function changed(field) {
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

// -- expiry --------------------------------------------------------------------------

function pad(number) {
  return String(number).padStart(2, "0");
}

// "2027-01-31T18:00": what a datetime-local input shows of a Date, in the browser's zone.
function localText(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function expiryInBrowserZone(form) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  form.querySelectorAll("input[data-zone-for]").forEach((hidden) => {
    const input = document.getElementById(hidden.dataset.zoneFor);
    // The page showed the moment in another zone: show it in the browser's instead.
    if (hidden.value !== zone && hidden.dataset.instant && input) {
      input.value = localText(new Date(hidden.dataset.instant));
    }
    hidden.value = zone;
    const hint = form.querySelector(`[data-zone-hint-for="${hidden.dataset.zoneFor}"]`);
    if (hint) hint.textContent = `The time is in your time zone, ${zone}.`;
  });
}

// -- rows written as JSON --------------------------------------------------------------

function parsed(textarea, fallback) {
  try {
    const value = JSON.parse(textarea.value || "null");
    return value === null ? fallback : value;
  } catch (error) {
    return null;  // not JSON: the text area stays as it is, for people to fix
  }
}

function cloned(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

function part(root, name) {
  return root.querySelector(`[data-part="${name}"]`);
}

function showEditor(group) {
  group.querySelector(".editor-rows").hidden = false;
  group.querySelector(".add-row").hidden = false;
  group.querySelector(".json-source").hidden = true;
}

// -- countries --------------------------------------------------------------------------

function geoEditor(group) {
  const textarea = group.querySelector("textarea");
  const rows = group.querySelector(".editor-rows");
  const start = parsed(textarea, {});
  if (start === null || typeof start !== "object" || Array.isArray(start)) return;
  const write = () => {
    const value = {};
    rows.querySelectorAll(".geo-row").forEach((row) => {
      const country = part(row, "country").value;
      if (country) value[country] = part(row, "url").value.trim();
    });
    textarea.value = Object.keys(value).length ? JSON.stringify(value, null, 2) : "";
    changed(textarea);
  };
  const add = (country, url) => {
    const row = cloned("geo-row-template");
    part(row, "country").value = country.toUpperCase();
    part(row, "url").value = url;
    row.querySelector(".remove-row").addEventListener("click", () => { row.remove(); write(); });
    rows.append(row);
    return row;
  };
  Object.entries(start).forEach(([country, url]) => add(country, String(url)));
  rows.addEventListener("input", (event) => { event.stopPropagation(); write(); });
  rows.addEventListener("change", (event) => { event.stopPropagation(); write(); });
  group.querySelector(".add-row").addEventListener("click", () => part(add("", ""), "country").focus());
  showEditor(group);
}

// -- rules --------------------------------------------------------------------------------

function sumSentence(total, wanted) {
  return total === wanted ? `The weights add up to ${wanted}.`
    : `The weights add up to ${total}; they must add up to ${wanted}.`;
}

function rulesEditor(group) {
  const textarea = group.querySelector("textarea");
  const list = group.querySelector(".editor-rows");
  const limits = { rules: Number(group.dataset.maxRules), min: Number(group.dataset.minVariants),
                   max: Number(group.dataset.maxVariants), total: Number(group.dataset.total) };
  const start = parsed(textarea, []);
  if (!Array.isArray(start)) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  // One rule's JSON, as the API takes it; parts left blank are left out for the server to name.
  const ruleOf = (item) => {
    const rule = {};
    const attribute = part(item, "attribute").value;
    if (attribute) {
      rule.attribute = attribute;
      rule.operator = part(item, "operator").value;
      if (attribute === "time") {
        rule.value = { days: [...item.querySelectorAll('[data-part="day"]:checked')].map((box) => box.value),
                       from: part(item, "from").value, until: part(item, "until").value,
                       timeZone: part(item, "timeZone").value.trim() };
      } else {
        rule.value = part(item, "value").value;
      }
    }
    if (item.querySelector('[data-part="kind"][value="split"]').checked) {
      rule.split = [...item.querySelectorAll(".variant")].map((variant) => {
        const weight = part(variant, "weight").value;
        return { url: part(variant, "variant-url").value.trim(), weight: weight === "" ? 0 : Number(weight) };
      });
    } else {
      rule.url = part(item, "url").value.trim();
    }
    return rule;
  };

  const refresh = () => {
    const items = [...list.children];
    items.forEach((item, index) => {
      part(item, "title").textContent = `Rule ${index + 1}`;
      item.querySelector('[data-action="up"]').disabled = index === 0;
      item.querySelector('[data-action="down"]').disabled = index === items.length - 1;
      const attribute = part(item, "attribute").value;
      const split = item.querySelector('[data-part="kind"][value="split"]').checked;
      item.querySelector('[data-when="condition"]').hidden = !attribute;
      item.querySelector('[data-when="text"]').hidden = !attribute || attribute === "time";
      item.querySelector('[data-when="time"]').hidden = attribute !== "time";
      item.querySelector('[data-when="url"]').hidden = split;
      item.querySelector('[data-when="split"]').hidden = !split;
      const variants = item.querySelectorAll(".variant");
      item.querySelector('[data-action="add-variant"]').disabled = variants.length >= limits.max;
      variants.forEach((variant, number) => {
        part(variant, "variant-name").textContent = `Variant ${number + 1}`;
        variant.querySelector('[data-action="remove-variant"]').disabled = variants.length <= limits.min;
      });
      const total = [...variants].reduce((sum, variant) => sum + (Number(part(variant, "weight").value) || 0), 0);
      const sum = part(item, "sum");
      sum.textContent = sumSentence(total, limits.total);
      sum.classList.toggle("wrong", total !== limits.total);
    });
    group.querySelector(".add-row").disabled = items.length >= limits.rules;
  };

  const write = () => {
    refresh();
    const rules = [...list.children].map(ruleOf);
    textarea.value = rules.length ? JSON.stringify(rules, null, 2) : "";
    changed(textarea);
  };

  const addVariant = (item, url, weight) => {
    const variant = cloned("variant-template");
    part(variant, "variant-url").value = url;
    part(variant, "weight").value = weight;
    item.querySelector(".variants").append(variant);
  };

  const add = (rule) => {
    const item = cloned("rule-template");
    const suffix = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    item.querySelectorAll('[data-part="kind"]').forEach((radio) => { radio.name = `rule-kind-${suffix}`; });
    part(item, "attribute").value = rule.attribute || "";
    if (rule.operator) part(item, "operator").value = rule.operator;
    const value = rule.value;
    if (value && typeof value === "object") {
      item.querySelectorAll('[data-part="day"]').forEach((box) => { box.checked = (value.days || []).includes(box.value); });
      part(item, "from").value = value.from || "";
      part(item, "until").value = value.until || "";
      part(item, "timeZone").value = value.timeZone || zone;
    } else {
      part(item, "value").value = value || "";
      part(item, "timeZone").value = zone;
    }
    const split = Array.isArray(rule.split);
    item.querySelector(`[data-part="kind"][value="${split ? "split" : "url"}"]`).checked = true;
    part(item, "url").value = rule.url || "";
    const variants = split ? rule.split : [{ url: "", weight: 50 }, { url: "", weight: 50 }];
    variants.forEach((variant) => addVariant(item, variant.url || "", variant.weight ?? ""));
    list.append(item);
    return item;
  };

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const item = button.closest(".rule");
    const action = button.dataset.action;
    if (action === "up" && item.previousElementSibling) item.previousElementSibling.before(item);
    if (action === "down" && item.nextElementSibling) item.nextElementSibling.after(item);
    if (action === "remove") item.remove();
    if (action === "add-variant") addVariant(item, "", "");
    if (action === "remove-variant") button.closest(".variant").remove();
    write();
    if (action === "up" || action === "down") button.focus();
  });
  list.addEventListener("input", (event) => { event.stopPropagation(); write(); });
  list.addEventListener("change", (event) => { event.stopPropagation(); write(); });
  group.querySelector(".add-row").addEventListener("click", () => {
    const item = add({});
    write();
    part(item, "attribute").focus();
  });
  start.forEach((rule) => add(rule && typeof rule === "object" ? rule : {}));
  refresh();
  showEditor(group);
}

// -- UTM --------------------------------------------------------------------------------

const UTM_NAMES = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

// As Python's quote_plus: what a query value becomes (links/utm.py writes the same).
function quotePlus(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => "%" + char.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

function nameOf(piece) {
  try {
    return decodeURIComponent(piece.split("=")[0].replace(/\+/g, " "));
  } catch (error) {
    return piece.split("=")[0];
  }
}

// links/utm.py's with_parameters, without a forwarded query: the destination's own query
// and fragment kept, a name given again replaced where it first stood, new ones appended.
function withParameters(url, utm) {
  const pairs = UTM_NAMES.filter((name) => utm[name]).map((name) => `${name}=${quotePlus(utm[name])}`);
  if (!pairs.length) return url;
  const hashAt = url.indexOf("#");
  const beforeFragment = hashAt < 0 ? url : url.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : url.slice(hashAt);
  const queryAt = beforeFragment.indexOf("?");
  const base = queryAt < 0 ? beforeFragment : beforeFragment.slice(0, queryAt);
  const query = queryAt < 0 ? "" : beforeFragment.slice(queryAt + 1);
  const given = new Map(pairs.map((pair) => [nameOf(pair), pair]));
  const replaced = new Set(given.keys());
  const kept = [];
  (query ? query.split("&") : []).forEach((piece) => {
    const name = nameOf(piece);
    if (!replaced.has(name)) kept.push(piece);
    else if (given.has(name)) { kept.push(given.get(name)); given.delete(name); }
  });
  given.forEach((pair) => kept.push(pair));
  return `${base}?${kept.join("&")}${fragment}`;
}

function utmBuilder(form) {
  const output = document.getElementById("utm-url");
  const destination = form.elements.url;
  if (!output || !destination) return;
  const show = () => {
    const utm = {};
    UTM_NAMES.forEach((name) => { if (form.elements[name]) utm[name] = form.elements[name].value.trim(); });
    const url = destination.value.trim();
    output.textContent = url ? withParameters(url, utm) : "(the destination URL, once filled in)";
  };
  [destination, ...UTM_NAMES.map((name) => form.elements[name]).filter(Boolean)]
    .forEach((input) => input.addEventListener("input", show));
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("qrcode-form");
  if (!form) return;
  expiryInBrowserZone(form);
  form.querySelectorAll('[data-editor="geo"]').forEach(geoEditor);
  form.querySelectorAll('[data-editor="rules"]').forEach(rulesEditor);
  utmBuilder(form);
});
