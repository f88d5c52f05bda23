// The conflictwire dashboard: reads /api/dashboard every few seconds and redraws.
// Every piece of data goes into the page as text (textContent), never as HTML.
"use strict";

const REFRESH_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";
const state = { data: null, sortKey: "events", sortDir: -1, chartActor: null };

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

function quantity(q) {
  if (!q) return "–";
  if (q.low !== null && q.high !== null) return q.low === q.high ? String(q.low) : `${q.low}–${q.high}`;
  if (q.low !== null) return `≥${q.low}`;
  return q.high !== null ? `≤${q.high}` : "?";
}

function renderCounts() {
  const rows = Object.entries(state.data.actors).map(([actor, c]) => ({ actor, ...c }));
  const { sortKey, sortDir } = state;
  rows.sort((a, b) => {
    const x = a[sortKey], y = b[sortKey];
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return order * sortDir || a.actor.localeCompare(b.actor);
  });
  const body = document.querySelector("#counts tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = el("tr");
    tr.dataset.actor = r.actor;
    tr.append(el("td", r.actor), el("td", r.events, "num"), el("td", r.killed_low, "num"), el("td", r.injured_low, "num"));
    return tr;
  }));
  for (const th of document.querySelectorAll("#counts th[data-key]")) {
    const on = th.dataset.key === sortKey;
    th.setAttribute("aria-sort", on ? (sortDir > 0 ? "ascending" : "descending") : "none");
  }
}

function renderChartChoices() {
  const daily = state.data.daily;
  const actors = Object.keys(daily).sort();
  const select = document.getElementById("chart-actor");
  if (!state.chartActor || !daily[state.chartActor]) {
    const byKilled = Object.entries(state.data.actors).sort((a, b) => b[1].killed_low - a[1].killed_low);
    const first = byKilled.find(([actor]) => daily[actor]);
    state.chartActor = first ? first[0] : actors[0] || null;
  }
  const current = Array.from(select.options).map((o) => o.value).join(",");
  if (current !== actors.join(",")) select.replaceChildren(...actors.map((a) => el("option", a)));
  if (state.chartActor) select.value = state.chartActor;
}

function renderChart() {
  const box = document.getElementById("chart");
  const days = state.chartActor ? state.data.daily[state.chartActor] || {} : {};
  const entries = Object.entries(days);
  if (!entries.length) { box.replaceChildren(el("p", "no daily windows yet", "muted")); return; }
  const width = 640, height = 200, pad = 28;
  const top = Math.max(1, ...entries.map(([, c]) => Math.max(c.killed_low, c.injured_low)));
  const slot = (width - pad) / entries.length, bar = Math.max(2, Math.min(18, slot / 2.5));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 30}`, role: "img" });
  chart.append(svg("line", { x1: pad, y1: height, x2: width, y2: height, stroke: "#999" }));
  const label = svg("text", { x: 0, y: 10 }); label.textContent = String(top); chart.append(label);
  entries.forEach(([day, c], i) => {
    const x = pad + i * slot + slot / 2 - bar;
    for (const [kind, value, offset] of [["killed", c.killed_low, 0], ["injured", c.injured_low, bar]]) {
      const h = (value / top) * (height - 12);
      const rect = svg("rect", { x: x + offset, y: height - h, width: bar, height: h, class: kind });
      const tip = svg("title", {}); tip.textContent = `${day}: ${value} ${kind}`; rect.append(tip);
      chart.append(rect);
    }
    if (entries.length <= 14 || i % Math.ceil(entries.length / 14) === 0) {
      const t = svg("text", { x: x, y: height + 14 }); t.textContent = day.slice(5); chart.append(t);
    }
  });
  const legend = el("p", null, "legend");
  legend.append(el("span", null, "killed"), "killed", el("span", null, "injured"), "injured");
  box.replaceChildren(chart, legend);
}

function renderEvents() {
  const body = document.querySelector("#events tbody");
  body.replaceChildren(...state.data.events.map((e) => {
    const tr = el("tr");
    tr.dataset.event = e.event_id;
    const loc = e.location || {};
    const place = el("td", null, "place");
    place.append([loc.name, loc.admin1, loc.country].filter(Boolean).join(", ") || "–");
    if (loc.lat !== null && loc.lat !== undefined) place.append(el("br"), el("small", `${loc.lat.toFixed(3)}, ${loc.lon.toFixed(3)}`));
    const who = `${e.perpetrator || "unknown"} → ${e.targets.join(", ") || "–"}`;
    const evidence = el("td");
    if (e.evidence) evidence.append(el("mark", e.evidence));
    evidence.append(el("br"), el("small", e.sources.join("; "), "muted"));
    tr.append(el("td", e.date || "?"), el("td", e.type), el("td", who), place,
      el("td", quantity(e.killed), "num"), el("td", quantity(e.injured), "num"), evidence);
    return tr;
  }));
}

function render() {
  renderCounts();
  renderChartChoices();
  renderChart();
  renderEvents();
}

async function load() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/api/dashboard", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state.data = await response.json();
    render();
    const actors = Object.keys(state.data.actors).length;
    status.textContent = `${actors} actors, ${state.data.events.length} latest events — counts updated ${state.data.updated_at || "never"}`;
    status.className = "";
  } catch (error) {
    status.textContent = `cannot reach the worker (${error.message}); retrying`;
    status.className = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const th of document.querySelectorAll("#counts th[data-key]")) {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      state.sortDir = state.sortKey === key ? -state.sortDir : (key === "actor" ? 1 : -1);
      state.sortKey = key;
      if (state.data) renderCounts();
    });
  }
  document.getElementById("chart-actor").addEventListener("change", (event) => {
    state.chartActor = event.target.value;
    if (state.data) renderChart();
  });
  load();
  setInterval(load, REFRESH_MS);
});
