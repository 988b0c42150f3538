// CodeQR's few behaviours: live preview, copy buttons, job progress (imports, exports), local times.
"use strict";

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function livePreview(form) {
  const image = document.getElementById("preview");
  const status = document.getElementById("preview-status");
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
    // A form the check finds whole (as a save would) has no error left, the server's included.
    if (answer.ok) form.querySelectorAll(".field-error[data-server]").forEach((slot) => { delete slot.dataset.server; });
    form.querySelectorAll(".field-error:not([data-server])").forEach((slot) => {
      slot.textContent = "";
      const input = form.elements[slot.dataset.for];
      if (input && input.removeAttribute) input.removeAttribute("aria-invalid");
    });
    image.classList.toggle("stale", !answer.ok);  // an image of what the fields no longer say
    if (answer.ok) {
      image.src = answer.image;
      if (answer.link) {
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
    const labels = Object.values(answer.labels || {});
    status.textContent = labels.length
      ? `To see the preview, fix: ${labels.join(", ")}.`
      : "Fix the fields marked to see the preview.";
  }, 300);
  const linkWarning = document.getElementById("link-warning");
  const warnOfLinkChange = () => {
    // A scanned QR Code is printed somewhere: say so before its short link moves.
    if (!linkWarning) return;
    const key = form.elements.key.value.trim();
    linkWarning.hidden = (key === "" || key === form.dataset.key) && form.elements.domain.value === form.dataset.domain;
  };
  form.addEventListener("input", (event) => { fieldChanged(event); warnOfLinkChange(); refresh(); });
  form.addEventListener("change", (event) => { fieldChanged(event); warnOfLinkChange(); refresh(); });
  if (form.elements.url.value) refresh();
}

function watchJob(box) {
  const note = document.getElementById("job-connection");
  let delay = 500;
  const poll = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.statusUrl);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      job = await response.json();
    } catch (error) {
      // The job goes on on the server: keep asking, less often, and say so.
      note.textContent = "Lost contact with the server; trying again…";
      delay = Math.min(delay * 2, 10000);
      setTimeout(poll, delay);
      return;
    }
    note.textContent = "";
    delay = 500;
    document.getElementById("job-progress").value = job.processed;
    for (const [name, value] of Object.entries(job)) {
      const slot = box.querySelector(`[data-count="${name}"]`);
      if (slot) slot.textContent = value;
    }
    if (["done", "failed", "expired"].includes(job.status)) window.location.reload();
    else setTimeout(poll, delay);
  };
  setTimeout(poll, 300);
}

function useBrowserTimeZone(form) {
  // Days and hours begin where the reader is: ask the server in the browser's zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const params = new URLSearchParams(window.location.search);
  if (!params.has("timezone") && zone && zone !== form.elements.timezone.value) {
    params.set("timezone", zone);
    window.location.replace(`${window.location.pathname}?${params}`);
    return;
  }
  form.querySelectorAll("select, input[type=checkbox]").forEach((input) => {
    input.addEventListener("change", () => form.requestSubmit());
  });
}

function drawSeries(canvas, data) {
  if (!window.Chart) return;  // the table below the chart holds the same numbers
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--pico-primary").trim() || "#2563eb";
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.points.map((point) => point.label),
      datasets: [{ label: data.measure, data: data.points.map((point) => point[data.measure]), backgroundColor: accent }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } },
    },
  });
}

function say(button, words) {
  // A button tells what happened for a few seconds, then is itself again.
  const own = button.dataset.label || (button.dataset.label = button.textContent);
  button.textContent = words;
  clearTimeout(button.sayTimer);
  button.sayTimer = setTimeout(() => { button.textContent = own; }, 2500);
}

function showLocalTimes() {
  // The server writes UTC; people read their own clock, with the zone named.
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  const thisYear = new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  const year = new Date().getFullYear();
  document.querySelectorAll("time.local-time").forEach((time) => {
    const moment = new Date(time.dateTime);
    if (!Number.isNaN(moment.getTime())) {
      time.title = time.textContent;  // the UTC moment stays on hover
      const compact = time.classList.contains("compact") && moment.getFullYear() === year;
      time.textContent = (compact ? thisYear : format).format(moment);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  showLocalTimes();
  const zoneForm = document.querySelector("[data-timezone-form]");
  if (zoneForm) useBrowserTimeZone(zoneForm);
  const series = document.getElementById("series-data");
  const canvas = document.getElementById("chart-timeseries");
  if (series && canvas) drawSeries(canvas, JSON.parse(series.textContent));
  const form = document.getElementById("qrcode-form");
  if (form) livePreview(form);
  const job = document.getElementById("job");
  if (job && !["done", "failed", "expired"].includes(job.dataset.status)) watchJob(job);
  if (navigator.clipboard && window.ClipboardItem) {
    document.querySelectorAll("[data-copy-image]").forEach((button) => {
      button.hidden = false;  // only where the browser can put an image on the clipboard
      button.addEventListener("click", async () => {
        const image = fetch(button.dataset.copyImage).then((response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return response.blob();
        });
        try {
          await navigator.clipboard.write([new window.ClipboardItem({ "image/png": image })]);
          say(button, "Image copied");
        } catch (error) {
          say(button, "Could not copy the image: download it instead");
        }
      });
    });
  }
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(document.querySelector(button.dataset.copy).textContent.trim());
      say(button, "Copied");
    });
  });
  const themeChoice = document.querySelector("[data-choose-theme]");
  if (themeChoice) {
    // Remembered by the server's cookie, drawn at once: no reload, so nothing typed is lost.
    themeChoice.addEventListener("change", async () => {
      const theme = themeChoice.value;
      if (theme === "auto") delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = theme;
      await fetch(themeChoice.form.action, { method: "POST", body: new FormData(themeChoice.form), redirect: "manual" });
    });
  }
  document.querySelectorAll("[data-hide-with-script]").forEach((element) => { element.hidden = true; });
  document.querySelectorAll("details.dropdown").forEach((menu) => {
    menu.addEventListener("click", (event) => { if (event.target.closest("a")) menu.open = false; });
  });
});
