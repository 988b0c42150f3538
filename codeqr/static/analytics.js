// The analytics panel: its time frame form, the chart of scans over time (with the period
// before, when compared), and the world map of countries. Colours come from the page's
// theme and are taken anew when the theme changes.
"use strict";

(() => {
  const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

  function withAlpha(colour, alpha) {
    // "#1d4ed8" or "rgb(29, 78, 216)" made see-through, for the area under the line.
    let rgb = null;
    const hex = colour.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
    if (hex) {
      const digits = hex[1].length === 3 ? [...hex[1]].map((digit) => digit + digit) : hex[1].match(/../g);
      rgb = digits.map((pair) => parseInt(pair, 16));
    } else {
      const numbers = colour.match(/^rgba?\((\d+)[ ,]+(\d+)[ ,]+(\d+)/);
      if (numbers) rgb = numbers.slice(1, 4).map(Number);
    }
    return rgb ? `rgba(${rgb.join(", ")}, ${alpha})` : `rgba(29, 78, 216, ${alpha})`;
  }

  function timeFrameForm(form) {
    // A preset or dates: typing a date picks "the dates chosen"; a preset forgets the dates.
    const interval = form.elements.interval;
    const dates = [form.elements.from, form.elements.to];
    form.addEventListener("change", (event) => {
      // Dates wait for their Show (and so does picking "the dates chosen") instead of sending at once.
      if (dates.includes(event.target)) {
        interval.value = "";
        event.stopPropagation();
      }
      if (event.target === interval && interval.value === "") event.stopPropagation();
    }, true);
    form.addEventListener("submit", () => {
      if (interval.value !== "") dates.forEach((input) => { input.value = ""; });
      // Only what is chosen goes into the address, so it stays short enough to share.
      [...form.elements].forEach((input) => { if (input.name && input.value === "") input.disabled = true; });
    });
  }

  function lastAlwaysShown(count, width) {
    // Which ticks carry a label: evenly spaced, counted back from the last (today's).
    const room = Math.max(2, Math.floor(width / 64));
    const step = Math.max(1, Math.ceil(count / room));
    return (index) => (count - 1 - index) % step === 0;
  }

  function drawSeries(canvas, data) {
    if (!window.Chart) return null;  // the table below the chart holds the same numbers
    const text = css("--pico-color", "#1f2937");
    const accent = css("--pico-primary", "#1d4ed8");
    const grid = css("--pico-muted-border-color", "#d1d5db");
    const muted = css("--pico-secondary", "#6b7280");
    const points = data.points;
    const datasets = [{
      label: data.measure === "visitors" ? "Unique visitors" : "Scans",
      data: points.map((point) => point[data.measure]),
      borderColor: accent, backgroundColor: withAlpha(accent, 0.18),
      fill: "origin", cubicInterpolationMode: "monotone", pointRadius: points.length > 40 ? 0 : 3, pointHoverRadius: 5, borderWidth: 2,
    }];
    if (data.compared) {
      datasets.push({
        label: "The period before",
        data: points.map((point) => (point.previous === undefined ? null : point.previous)),
        borderColor: muted, backgroundColor: "transparent", borderDash: [6, 4], fill: false, cubicInterpolationMode: "monotone",
        pointRadius: 0, borderWidth: 2,
      });
    }
    const font = { size: 13 };
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: points.map((point) => point.tick), datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: Boolean(data.compared), labels: { color: text, font } },
          tooltip: { callbacks: { title: (items) => points[items[0].dataIndex].label } },
        },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0, color: text, font }, grid: { color: grid }, border: { color: grid } },
          x: {
            grid: { display: false }, border: { color: grid },
            ticks: {
              color: text, font, maxRotation: 0, autoSkip: false,
              callback(value, index) {
                return lastAlwaysShown(points.length, this.chart.width)(index) ? this.getLabelForValue(value) : "";
              },
            },
          },
        },
      },
    });
  }

  async function drawMap(box, countries) {
    const response = await fetch(box.closest("[data-map]").dataset.map);
    if (!response.ok) return;
    const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
    const svg = document.importNode(parsed, true);  // a copy of this document's: its listeners stay
    const largest = Math.max(...Object.values(countries).map((country) => country.count));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "World map of " + Object.values(countries)
      .map((country) => `${country.name}: ${country.count}`).join(", "));
    svg.querySelectorAll("path").forEach((path) => {
      const country = countries[path.id.toUpperCase()];
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = country ? `${country.name}: ${country.count}` : path.dataset.name;
      path.append(title);
      if (!country) return;
      path.classList.add("scanned", `level-${Math.max(1, Math.ceil((country.count / largest) * 4))}`);
      if (country.url) {
        path.setAttribute("tabindex", "0");
        path.addEventListener("click", () => { window.location.href = country.url; });
        path.addEventListener("keydown", (event) => { if (event.key === "Enter") window.location.href = country.url; });
      }
    });
    box.replaceChildren(svg);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("[data-analytics-form]");
    if (form) timeFrameForm(form);
    const series = document.getElementById("series-data");
    const canvas = document.getElementById("chart-timeseries");
    if (series && canvas) {
      const data = JSON.parse(series.textContent);
      let chart = drawSeries(canvas, data);
      // The theme may change without a reload (the footer's choice, or the device's): redraw in its colours.
      const redraw = () => { if (chart) chart.destroy(); chart = drawSeries(canvas, data); };
      new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
    }
    const map = document.getElementById("world-map");
    const countries = document.getElementById("map-data");
    if (map && countries) drawMap(map, JSON.parse(countries.textContent));
  });
})();
