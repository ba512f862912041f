// The dashboard's script: charts (uPlot), live refresh of the numbers from /admin/api/…, confirmations.
// No inline script anywhere (the pages' Content-Security-Policy forbids it); nothing is stored in the browser.
"use strict";
(function () {
  const body = document.body;
  const dataNode = document.getElementById("page-data");
  let data = dataNode ? JSON.parse(dataNode.textContent) : null;
  const charts = {};

  function get(obj, path) {
    return path.split(".").reduce((o, k) => (o == null ? o : o[k]), obj);
  }
  function times(list) {
    return list.map((t) => Date.parse(t) / 1000);
  }
  function pivot(rows, timeKey, seriesKey, valueKey) {
    const ts = [...new Set(rows.map((r) => r[timeKey]))].sort();
    const names = [...new Set(rows.map((r) => r[seriesKey]))].sort();
    const cols = names.map((n) => ts.map((t) => {
      const row = rows.find((r) => r[timeKey] === t && r[seriesKey] === n);
      return row ? row[valueKey] : 0;
    }));
    return { t: times(ts), names, cols };
  }
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
  const BUILDERS = {
    traffic: (d) => ({ t: times(d.series.t), names: ["requests/s", "errors"], cols: [d.series.requests_per_second, d.series.errors] }),
    spend: (d) => ({ t: times(d.series.t), names: ["USD"], cols: [d.series.spend.map(Number)] }),
    privacy: (d) => pivot(d.over_time, "hour", "action", "requests"),
    routing: (d) => ({
      t: times(d.over_time.map((r) => r.hour)),
      names: ["fallbacks", "failed attempts"],
      cols: [d.over_time.map((r) => r.fallbacks), d.over_time.map((r) => r.retries)],
    }),
  };

  function draw(node) {
    const build = BUILDERS[node.dataset.chart];
    if (!build || !data || typeof uPlot === "undefined") return;
    const s = build(data);
    if (charts[node.id]) charts[node.id].destroy();
    node.textContent = "";
    if (!s.t.length) {
      node.textContent = "No data in this range yet.";
      return;
    }
    const span = data.range ? [Date.parse(data.range.start + "Z") / 1000, Date.parse(data.range.now + "Z") / 1000] : null;
    const fmt = (u, vals) => vals.map((v) => (v == null ? "" : Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()));
    const opts = {
      width: Math.max(300, node.clientWidth || 600),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),  // the pages speak UTC
      scales: { x: { time: true, range: span ? () => span : undefined } },
      series: [{}].concat(s.names.map((n, i) => ({
        label: n, stroke: COLORS[i % COLORS.length], width: 2, points: { show: s.t.length < 30, size: 6 },
      }))),
      axes: [{}, { values: fmt, size: 76 }],
    };
    charts[node.id] = new uPlot(opts, [s.t].concat(s.cols), node);
  }

  function fill(table, rows) {
    const cols = table.dataset.cols.split(" ");
    const tbody = table.tBodies[0];
    tbody.textContent = "";
    for (const row of rows || []) {
      const tr = tbody.insertRow();
      for (const c of cols) {
        const v = row[c];
        tr.insertCell().textContent = v == null || v === "" ? "–" : String(v);
      }
    }
  }

  function render() {
    if (!data) return;
    for (const node of document.querySelectorAll("[data-bind]")) {
      const v = get(data, node.dataset.bind);
      node.textContent = v == null ? "–" : String(v);
    }
    for (const table of document.querySelectorAll("table[data-table]")) fill(table, get(data, table.dataset.table));
    for (const node of document.querySelectorAll("[data-chart]")) draw(node);
  }

  async function refresh() {
    try {
      const answer = await fetch(body.dataset.api + window.location.search, { credentials: "same-origin" });
      if (answer.status === 401) {
        window.location.assign("/ui/login");
        return;
      }
      if (!answer.ok) return;
      data = await answer.json();
      render();
      const live = document.getElementById("live");
      if (live) live.dataset.updated = new Date().toISOString();
    } catch (err) {
      // the gateway is restarting or unreachable: the next tick tries again
    }
  }

  for (const node of document.querySelectorAll("[data-chart]")) draw(node);
  const every = Number(body.dataset.refresh || 0);
  if (every > 0 && body.dataset.api) window.setInterval(refresh, every * 1000);

  const range = document.getElementById("range");
  if (range) range.addEventListener("change", () => range.form.submit());
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  const copy = document.getElementById("copy-secret");
  if (copy) {
    copy.addEventListener("click", () => {
      const secret = document.getElementById("new-secret");
      if (secret && navigator.clipboard) navigator.clipboard.writeText(secret.textContent).catch(() => {});
    });
  }
})();
