// The NasActors dashboard: reads the node's JSON API once per view, then follows /api/events (server-sent events).
"use strict";

const view = document.getElementById("view");
const state = { cluster: null, searches: new Map(), search: null, searchId: null, refetch: null, fetching: false };

// ---------- helpers ----------
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const num = (v, d = 2) => v === null || v === undefined || Number.isNaN(v) ? "-" : Number(v).toFixed(d);
const badge = s => `<span class="badge ${esc(s)}">${esc(s)}</span>`;
const bar = (done, total) => `<span class="bar"><span style="width:${total > 0 ? Math.min(100, 100 * done / total) : 0}%"></span></span>`;
function since(iso) {
  if (!iso) return "-";
  let s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(s - m * 60)}s`;
}
async function api(path, options) {
  const r = await fetch(path, Object.assign({ headers: { "Accept": "application/json" }, credentials: "same-origin" }, options));
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// ---------- plots: inline SVG ----------
function ticks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map(f => f * mag).find(s => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}
// series: [{ points: [[x, y], ...], kind: "points" | "line" | "step", color, label }]
function plot(id, title, xLabel, yLabel, series, opts = {}) {
  const W = 640, H = 320, L = 56, R = 16, T = 28, B = 40;
  const all = series.flatMap(s => s.points).filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  let svg = `<svg class="plot" id="${id}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`;
  svg += `<text class="title" x="${L}" y="16">${esc(title)}</text>`;
  if (all.length === 0) return svg + `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">nothing yet</text></svg>`;
  let [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  let [y0, y1] = [Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1]))];
  if (opts.yMin !== undefined) y0 = Math.min(y0, opts.yMin);
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
  const X = x => L + (x - x0) / (x1 - x0) * (W - L - R), Y = y => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  for (const t of ticks(y0, y1, 5)) svg += `<line x1="${L}" x2="${W - R}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eef1f6"/><text x="${L - 6}" y="${Y(t) + 4}" text-anchor="end">${t}</text>`;
  for (const t of ticks(x0, x1, 6)) svg += `<text x="${X(t)}" y="${H - B + 16}" text-anchor="middle">${opts.xFormat ? opts.xFormat(t) : t}</text>`;
  svg += `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#b8c0cc"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#b8c0cc"/>`;
  svg += `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`;
  svg += `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  // The legend on the title's line, right-aligned, clear of the data.
  let lx = W - R - series.reduce((w, s) => w + 24 + s.label.length * 6.2, 0);
  for (const s of series) {
    const pts = s.points.filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (s.kind === "points") {
      svg += `<g class="points" fill="${s.color}" fill-opacity="0.55">` + pts.map(p => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.6"/>`).join("") + `</g>`;
    } else if (pts.length > 0) {
      let d = "";
      pts.forEach((p, i) => {
        if (i === 0) d += `M${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`;
        else d += (s.kind === "step" ? `H${X(p[0]).toFixed(1)}V${Y(p[1]).toFixed(1)}` : `L${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`);
      });
      svg += `<path class="line" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    }
    svg += `<rect x="${lx}" y="7" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="16">${esc(s.label)}</text>`;
    lx += 24 + s.label.length * 6.2;
  }
  return svg + `</svg>`;
}

// ---------- views ----------
function clusterHtml(c) {
  if (!c) return `<section><h2>Cluster</h2><p class="muted">loading</p></section>`;
  const members = c.members.map(m => `<tr><td class="mono">${esc(m.address)}${m.self ? ' <span class="muted">(this node)</span>' : ""}</td>
    <td>${esc(m.roles.join(", "))}</td><td>${badge(m.status)}</td><td>${m.reachable ? "reachable" : badge("unreachable")}</td>
    <td>${m.leader ? "leader" : ""}</td><td>${since(m.upSince)}</td></tr>`).join("");
  const evaluators = c.evaluators.map(e => `<tr><td class="mono">${esc(e.node)}</td><td>${esc(e.name)}</td><td>${badge(e.busy ? "busy" : "idle")}</td>
    <td class="num">${e.jobsDone}</td><td class="mono">${esc(e.currentJob ?? "-")}</td></tr>`).join("");
  const trainers = c.trainers.map(t => `<tr><td><a href="#/search/${encodeURIComponent(t.searchId)}">${esc(t.searchId)}</a></td><td>${esc(t.method)}</td>
    <td class="mono">${esc(t.node)}</td><td>${badge(t.state)}</td><td class="num">${t.step} / ${t.steps}</td><td class="num">${num(t.loss, 4)}</td>
    <td class="num">${t.accuracy === null ? "-" : num(100 * t.accuracy, 1) + " %"}</td><td class="num">${num(t.imagesPerSecond, 0)}</td></tr>`).join("");
  const q = c.queue;
  return `<section id="cluster"><h2>Cluster</h2>
    <p class="muted">node up ${since(c.startedAt)} · leader <span class="mono">${esc(c.leader ?? "none")}</span>
    ${q ? ` · queue: ${q.queued} queued, ${q.inFlight} in flight, ${q.requeued} re-queued` : " · no evaluation queue reachable"}</p>
    <table id="members"><thead><tr><th>member</th><th>roles</th><th>status</th><th>reachability</th><th>leader</th><th>up (seen here)</th></tr></thead><tbody>${members}</tbody></table>
    </section>
    <div class="grid">
    <section><h2>Evaluators</h2><table id="evaluators"><thead><tr><th>node</th><th>name</th><th>state</th><th class="num">jobs done</th><th>current job</th></tr></thead>
    <tbody>${evaluators || '<tr><td colspan="5" class="muted">none</td></tr>'}</tbody></table></section>
    <section><h2>Supernet trainers</h2><table id="trainers"><thead><tr><th>search</th><th>method</th><th>node</th><th>state</th><th class="num">step</th>
    <th class="num">loss</th><th class="num">accuracy</th><th class="num">images/s</th></tr></thead>
    <tbody>${trainers || '<tr><td colspan="8" class="muted">none training</td></tr>'}</tbody></table></section>
    </div>`;
}

function searchRow(s) {
  return `<tr data-search="${esc(s.id)}"><td><a href="#/search/${encodeURIComponent(s.id)}">${esc(s.id)}</a></td><td>${esc(s.space)}</td>
    <td>${esc(s.method ?? "-")}</td><td>${esc(s.controller)}</td><td>${badge(s.status)}</td>
    <td class="progress">${bar(s.evaluated, s.budget)}<span class="count">${s.evaluated} / ${s.budget}</span></td>
    <td>${s.bestAccuracy === null ? "-" : `${num(s.bestAccuracy)} <span class="mono muted">${esc(s.bestArchitecture)}</span>`}</td></tr>`;
}

function searchesHtml() {
  const rows = [...state.searches.values()].sort((a, b) => (b.submittedAt || "").localeCompare(a.submittedAt || "")).map(searchRow).join("");
  return `<section><h2>Searches</h2><table id="searches"><thead><tr><th>id</th><th>space</th><th>method</th><th>controller</th><th>status</th>
    <th>progress</th><th>best so far</th></tr></thead><tbody>${rows || '<tr><td colspan="7" class="muted">no searches yet</td></tr>'}</tbody></table></section>`;
}

function renderHome() {
  if (state.searchId !== null) return;
  view.innerHTML = `<div id="cluster-view">${clusterHtml(state.cluster)}</div><div id="searches-view">${searchesHtml()}</div>`;
}

function searchHtml(d) {
  const s = d.search, id = s.id, enc = encodeURIComponent(id);
  const ev = d.evaluations.filter(e => !e.failed && e.accuracy !== null);
  const best = []; let b = -Infinity;
  for (const e of ev) { b = Math.max(b, e.accuracy); best.push([e.order + 1, b]); }
  const t0 = ev.filter(e => e.at).map(e => Date.parse(e.at)).reduce((a, v) => Math.min(a, v), Infinity);
  const timed = ev.filter(e => e.at).map(e => [(Date.parse(e.at) - t0) / 1000, e.accuracy]);
  const bestT = []; b = -Infinity;
  for (const p of timed) { b = Math.max(b, p[1]); bestT.push([p[0], b]); }
  const front = new Set(d.paretoFront);
  const frontPts = ev.filter(e => front.has(e.jobId)).map(e => [e.flops / 1e6, e.accuracy]).sort((p, q) => p[0] - q[0]);
  const paused = s.status === "paused", final = ["completed", "failed", "cancelled"].includes(s.status);
  const tr = d.training;
  const top = d.top.map((e, i) => `<tr><td class="num">${i + 1}</td><td class="mono">${esc(e.architecture)}</td><td class="mono">${esc(e.blocks ?? "-")}</td>
    <td class="num">${num(e.flops / 1e6, 3)}</td><td class="num">${num(e.params / 1e3, 1)}</td><td class="num">${num(e.accuracy)}</td></tr>`).join("");
  const minutes = timed.length > 0 && timed[timed.length - 1][0] > 600;
  let html = `<section><div class="head"><h1>${esc(s.name)} <span class="mono muted">${esc(id)}</span></h1><span id="status">${badge(s.status)}</span>
    <div class="actions">
      <button id="pause" ${paused || final ? "disabled" : ""}>Pause</button>
      <button id="resume" ${!paused ? "disabled" : ""}>Resume</button>
      <button id="cancel" ${final ? "disabled" : ""}>Cancel</button>
      <a href="api/searches/${enc}/export.json">JSON</a> <a href="api/searches/${enc}/accuracy.svg">accuracy.svg</a> <a href="api/searches/${enc}/pareto.svg">pareto.svg</a>
    </div></div>
    <p id="action-result" class="muted"></p>
    <div class="stats">
      <div><span class="muted">progress</span><b>${bar(s.evaluated, s.budget)}<span id="progress-text">${s.evaluated} / ${s.budget}</span></b></div>
      <div><span class="muted">best so far</span><b id="best">${s.bestAccuracy === null ? "-" : num(s.bestAccuracy)}</b></div>
      <div><span class="muted">controller on space</span><b>${esc(s.controller)} on ${esc(s.space)}</b></div>
      <div><span class="muted">failed / pending / generations</span><b>${s.failed} / ${d.pending} / ${d.generations}</b></div>
      ${tr ? `<div><span class="muted">supernet (${esc(tr.method)})</span><b>step ${tr.step} / ${tr.steps}${tr.ready ? " (final)" : ""}</b></div>` : ""}
    </div></section>
    <div class="grid">
    <section>${plot("plot-evaluations", "accuracy against evaluations", "evaluations", "validation accuracy (%)",
      [{ points: ev.map(e => [e.order + 1, e.accuracy]), kind: "points", color: "#7d8ba3", label: "evaluation" },
       { points: best, kind: "step", color: "#2f6fde", label: "best so far" }])}</section>
    <section>${plot("plot-time", "accuracy against time", minutes ? "minutes since the first evaluation" : "seconds since the first evaluation", "validation accuracy (%)",
      [{ points: timed, kind: "points", color: "#7d8ba3", label: "evaluation" },
       { points: bestT, kind: "step", color: "#2f6fde", label: "best so far" }], { xFormat: t => minutes ? +(t / 60).toFixed(1) : t })}</section>
    <section>${plot("plot-pareto", "accuracy against MFLOPs", "MFLOPs", "validation accuracy (%)",
      [{ points: ev.map(e => [e.flops / 1e6, e.accuracy]), kind: "points", color: "#7d8ba3", label: "evaluated" },
       { points: frontPts, kind: "line", color: "#d9534f", label: "Pareto front" }])}
      <p class="muted">Latency: not measured by this project's evaluators, so not plotted.</p></section>`;
  if (tr) {
    html += `<section>${plot("plot-supernet", `supernet (${tr.method}): loss and accuracy against steps`, "step", "loss / accuracy",
      [{ points: tr.curve.map(p => [p.step, p.loss]), kind: "line", color: "#d9534f", label: "loss" },
       { points: tr.curve.map(p => [p.step, p.accuracy]), kind: "line", color: "#1f8a4c", label: "accuracy (0-1)" }], { yMin: 0 })}
      <p class="muted">loss ${num(tr.loss, 4)} · accuracy ${tr.accuracy === null ? "-" : num(100 * tr.accuracy, 1) + " %"} · ${num(tr.imagesPerSecond, 0)} images/s · node <span class="mono">${esc(tr.node)}</span></p></section>`;
  }
  if (d.choiceProbabilities) html += probabilitiesHtml(d.choiceProbabilities);
  html += `</div><section><h2>Top ${d.top.length}</h2><table id="topk"><thead><tr><th class="num">#</th><th>architecture</th><th>blocks</th>
    <th class="num">MFLOPs</th><th class="num">params (k)</th><th class="num">accuracy (%)</th></tr></thead>
    <tbody>${top || '<tr><td colspan="6" class="muted">nothing evaluated yet</td></tr>'}</tbody></table></section>`;
  return html;
}

// A differentiable method's distribution at its latest checkpoint: one row per layer, one cell per choice, shaded by
// its probability (a heat map), the layer's argmax outlined.
function probabilitiesHtml(c) {
  const width = Math.max(...c.layers.map(l => l.probabilities.length));
  const same = c.layers.every(l => l.choices.join() === c.layers[0].choices.join());
  const head = same ? `<tr><th>layer</th>${c.layers[0].choices.map(n => `<th class="num">${esc(n)}</th>`).join("")}</tr>` : "";
  const rows = c.layers.map(l => `<tr data-layer="${l.layer}"><td>layer ${l.layer}</td>${l.probabilities.map((p, i) =>
    `<td class="num cell${i === l.argmax ? " argmax" : ""}" data-p="${p ?? ""}" title="${esc(l.choices[i])}: ${num(p, 4)}"
      style="background: rgba(47, 111, 222, ${p === null ? 0 : (0.08 + 0.92 * p).toFixed(3)}); color: ${p !== null && p > 0.55 ? "#fff" : "inherit"}">${same ? "" : `<span class="muted">${esc(l.choices[i])}</span> `}${num(p, 3)}</td>`).join("")}${"<td></td>".repeat(width - l.probabilities.length)}</tr>`).join("");
  return `<section><h2>Choice probabilities per layer</h2>
    <p class="muted" id="probabilities-info">${c.final ? "final" : "checkpoint"} at step <span id="probabilities-step">${c.step ?? "-"}</span> of ${c.steps}
      · argmax <span class="mono">${esc(c.argmax)}</span>${c.argmaxBlocks ? ` <span class="mono">(${esc(c.argmaxBlocks)})</span>` : ""}
      · entropy <span id="probabilities-entropy">${num(c.entropy, 3)}</span> (1 uniform, 0 decided)</p>
    <table id="probabilities" class="heat"><thead>${head}</thead><tbody>${rows}</tbody></table></section>`;
}

function renderSearch() {
  if (!state.search) return;
  view.innerHTML = searchHtml(state.search);
  const id = state.searchId;
  for (const action of ["pause", "resume", "cancel"]) {
    document.getElementById(action).onclick = async () => {
      if (action === "cancel" && !confirm(`Cancel search ${id}? It cannot be resumed.`)) return;
      const out = document.getElementById("action-result");
      try {
        const r = await api(`api/searches/${encodeURIComponent(id)}/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
        out.textContent = r.message; out.className = "muted";
      } catch (e) { out.textContent = e.message; out.className = "error"; }
      loadSearch();
    };
  }
}

async function loadSearch() {
  const id = state.searchId;
  if (id === null) return;
  if (state.fetching) { scheduleSearch(); return; }
  state.fetching = true;
  try {
    const d = await api(`api/searches/${encodeURIComponent(id)}`);
    if (state.searchId !== id) return;
    state.search = d;
    state.searches.set(id, d.search);
    renderSearch();
  } catch (e) {
    view.innerHTML = `<section><p class="error">${esc(e.message)}</p><p><a href="#/">back</a></p></section>`;
  } finally { state.fetching = false; }
}

// At most one reload of the open search per second, however many events arrive.
function scheduleSearch() {
  if (state.refetch) return;
  state.refetch = setTimeout(() => { state.refetch = null; loadSearch(); }, 1000);
}

async function loadHome() {
  try {
    const [c, list] = await Promise.all([api("api/cluster"), api("api/searches")]);
    state.cluster = c;
    document.getElementById("node").textContent = c.node;
    state.searches = new Map(list.map(s => [s.id, s]));
  } catch (e) {
    view.innerHTML = `<section><p class="error">${esc(e.message)}</p></section>`;
    return;
  }
  renderHome();
}

function route() {
  const m = location.hash.match(/^#\/search\/(.+)$/);
  state.searchId = m ? decodeURIComponent(m[1]) : null;
  state.search = null;
  if (state.searchId === null) loadHome(); else { view.innerHTML = `<section class="muted">loading</section>`; loadSearch(); }
}

// ---------- live updates ----------
function connect() {
  const live = document.getElementById("live");
  const events = new EventSource("api/events");
  events.onopen = () => { live.textContent = "live"; live.className = "on"; };
  events.onerror = () => { live.textContent = "reconnecting"; live.className = "off"; };
  events.addEventListener("progress", e => {
    const p = JSON.parse(e.data);
    const row = state.searches.get(p.searchId);
    if (row) { Object.assign(row, { status: p.status, evaluated: p.evaluated, budget: p.budget, bestAccuracy: p.bestAccuracy ?? row.bestAccuracy }); }
    if (state.searchId === p.searchId) {
      const text = document.getElementById("progress-text");
      if (text) text.textContent = `${p.evaluated} / ${p.budget}`;
      scheduleSearch();
    } else if (state.searchId === null) {
      if (!row) loadHome(); else renderHome();
    }
  });
  events.addEventListener("search", e => {
    const s = JSON.parse(e.data);
    state.searches.set(s.id, s);
    if (state.searchId === s.id) scheduleSearch(); else if (state.searchId === null) renderHome();
  });
  events.addEventListener("cluster", e => {
    state.cluster = JSON.parse(e.data);
    if (state.searchId === null) renderHome();
  });
}

window.addEventListener("hashchange", route);
route();
api("api/cluster").then(c => { document.getElementById("node").textContent = c.node; }).catch(() => { });
connect();
