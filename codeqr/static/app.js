// CodeQR's few behaviours (the form's live check is in forms.js, the list's selection in list.js): copy buttons, job progress (imports, exports), local times.
"use strict";

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

function rememberTimeZone() {
  // Days and hours begin where the reader is: the server reads the browser's zone from a
  // cookie set here, on every page, so the next page is drawn in it (none is loaded twice).
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && !document.cookie.split("; ").includes(`codeqr_timezone=${zone}`)) {
    const secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = `codeqr_timezone=${zone}; path=/; max-age=31536000; samesite=lax${secure}`;
  }
}

function submitOnChange(form) {
  // The zone rides in the cookie: a zone in the address would pin the page drawn before it was set.
  if (form.elements.timezone) form.elements.timezone.disabled = true;
  form.querySelectorAll("select, input[type=checkbox]").forEach((input) => {
    input.addEventListener("change", () => form.requestSubmit());
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
  rememberTimeZone();
  const zoneForm = document.querySelector("[data-timezone-form]");
  if (zoneForm) submitOnChange(zoneForm);
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
