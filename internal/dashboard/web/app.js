// The fleet view: a snapshot, then one event per changed cell, cluster or
// rollout over a server-sent event stream (EventSource resumes with
// Last-Event-ID after a dropped connection). No framework, no network
// beyond this server.
"use strict";

const state = { clusters: new Map(), components: [], cells: new Map(), rollout: null, actions: {} };
const $ = (id) => document.getElementById(id);
const key = (cluster, component) => cluster + "\u0000" + component;
const rank = { failing: 0, progressing: 1, unknown: 2, ready: 3, disabled: 4 };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// cellId is a cell's element id: "/" is in no cluster or component name.
function cellId(cluster, component) { return "cell/" + cluster + "/" + component; }
function shortDigest(d) { return d ? d.replace(/^sha256:/, "").slice(0, 12) : ""; }
function ago(t) {
  if (!t) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(t)) / 1000));
  return s < 120 ? s + "s ago" : Math.round(s / 60) + "m ago";
}

// clusterOrder puts what is failing first, then clusters that are not normal.
function clusterOrder(a, b) {
  return (b.failing - a.failing) || ((a.state === "normal") - (b.state === "normal")) || a.name.localeCompare(b.name);
}

function matches(cl) {
  const q = $("f-cluster").value.trim();
  if (!q) return true;
  if (q.includes("=")) {
    const [k, v] = q.split("=", 2);
    return (cl.labels || {})[k.trim()] === v.trim();
  }
  return cl.name.includes(q);
}

function cellNode(c) {
  const td = el("td", { class: c ? c.phase : "unknown" });
  if (!c) { td.append(el("span", { class: "cell" }, "–")); return td; }
  td.id = cellId(c.cluster, c.component);
  const meta = [c.version, shortDigest(c.digest), c.revision ? "r" + c.revision : ""].filter(Boolean).join(" ");
  const b = el("button", { class: "cell", type: "button", title: c.message || c.phase,
    "data-cluster": c.cluster, "data-component": c.component, "data-phase": c.phase },
    c.phase, meta ? el("span", { class: "meta" }, meta) : null,
    c.drift ? el("span", { class: "mark", title: "drift repaired: " + c.drift }, "drift") : null);
  b.addEventListener("click", () => showDetail(c.cluster, c.component));
  td.append(b);
  return td;
}

// headerCell is a cluster's row header: name, state, last heartbeat, the
// revision of common it runs and its agent's version.
function headerCell(cl) {
  return el("th", { scope: "row", title: (cl.reason ? cl.reason + "; " : "") + "runs revision " + (cl.commonRevision || "?") + " of common with agent " + (cl.agentVersion || "?") },
    cl.name, el("span", { class: "state" }, cl.state + " · " + ago(cl.heartbeat) + (cl.commonRevision ? " · r" + cl.commonRevision : "")),
    cl.agentVersion ? el("span", { class: "agent" }, "agent " + cl.agentVersion) : null,
    cl.state !== "normal" ? el("span", { class: "mark" }, "!") : null);
}

function render() {
  const comp = $("f-component").value, phase = $("f-phase").value;
  const comps = state.components.filter((n) => !comp || n === comp);
  const head = $("matrix-head");
  head.replaceChildren(el("th", { scope: "col" }, "cluster"), ...comps.map((n) => el("th", { scope: "col" }, n)));
  const rows = [];
  const clusters = [...state.clusters.values()].filter(matches).sort(clusterOrder);
  for (const cl of clusters) {
    const cells = comps.map((n) => state.cells.get(key(cl.name, n)));
    if (phase && !cells.some((c) => c && c.phase === phase)) continue;
    rows.push(el("tr", { class: cl.state === "normal" ? "" : "abnormal", id: "row-" + cl.name }, headerCell(cl), ...cells.map(cellNode)));
  }
  $("matrix-body").replaceChildren(...rows);
  $("empty").hidden = state.clusters.size > 0;
  const failing = [...state.cells.values()].filter((c) => c.phase === "failing").length;
  $("summary").textContent = state.clusters.size + " clusters, " + state.components.length + " components, " + failing + " failing";
  const sel = $("f-component"), chosen = sel.value;
  if (sel.options.length !== state.components.length + 1) {
    sel.replaceChildren(el("option", { value: "" }, "all"), ...state.components.map((n) => el("option", { value: n }, n)));
    sel.value = chosen;
  }
}

// updateCell replaces one cell in place; a change of the cluster's failing
// count reorders rows through the cluster event that follows.
function updateCell(c) {
  state.cells.set(key(c.cluster, c.component), c);
  const old = document.getElementById(cellId(c.cluster, c.component));
  if (old) old.replaceWith(cellNode(c)); else render();
  if (!$("detail").hidden && $("detail").dataset.key === key(c.cluster, c.component)) showDetail(c.cluster, c.component);
}

function renderRollout() {
  const r = state.rollout;
  $("rollout").hidden = !r;
  if (!r) return;
  $("rollout-summary").textContent = "revision " + r.revision + " → " + r.targetRevision + ": " + r.phase +
    (r.paused ? " (paused: no further cluster moves)" : "") + (r.message ? ". " + r.message : "");
  $("rollout-body").replaceChildren(...(r.clusters || []).map((c) =>
    el("tr", { class: c.state === "Failed" ? "failing" : "" },
      el("td", {}, c.name, isCanary(c.name) ? el("span", { class: "mark" }, "canary") : null), el("td", {}, String(c.revision)),
      el("td", {}, c.state), el("td", {}, c.since ? ago(c.since) : ""), el("td", {}, c.reason || ""))));
  const may = (op) => state.actions[op] === true;
  $("rollout-pause").disabled = !may("pause") || r.paused;
  $("rollout-resume").disabled = !may("resume") || !(r.paused || r.phase === "Paused");
  $("rollout-undo").disabled = !may("undo");
  for (const op of ["pause", "resume", "undo"]) {
    $("rollout-" + op).title = may(op) ? "" : "your identity may not " + (op === "undo" ? "update" : "patch") + " hotplugs/common";
  }
}

// isCanary tells whether a cluster is the rollout's canary.
function isCanary(name) {
  const cl = state.clusters.get(name);
  return !!cl && cl.canary === true;
}

function showDetail(cluster, component) {
  const c = state.cells.get(key(cluster, component));
  if (!c) return;
  const d = $("detail");
  d.dataset.key = key(cluster, component);
  $("detail-title").textContent = component + " in " + cluster;
  const wasHidden = d.hidden;
  const target = c.phase === "disabled" ? "enabled" : "disabled";
  const sw = $("switch");
  sw.textContent = (target === "enabled" ? "Enable " : "Disable ") + component + " in " + cluster;
  sw.dataset.cluster = cluster; sw.dataset.component = component; sw.dataset.status = target;
  sw.disabled = state.actions.switch !== true;
  sw.title = sw.disabled ? "your identity may not update and create hotplugs" : "";
  if (wasHidden || d.dataset.config !== d.dataset.key) $("switch-result").textContent = "";
  loadDetail(cluster, component);
  if (wasHidden || d.dataset.config !== d.dataset.key) {
    d.dataset.config = d.dataset.key;
    loadConfig(cluster, component);
  }
  d.hidden = false;
  if (wasHidden) d.focus();
}

// loadDetail shows the cell's message, digest and conditions (kept out of
// the snapshot, which holds thousands of cells).
async function loadDetail(cluster, component) {
  let c;
  try {
    const res = await fetch("api/cell?cluster=" + encodeURIComponent(cluster) + "&component=" + encodeURIComponent(component));
    if (!res.ok) throw new Error(await res.text());
    c = await res.json();
  } catch (e) { $("detail-facts").replaceChildren(el("dt", {}, "error"), el("dd", {}, String(e))); return; }
  const facts = [["phase", c.phase], ["reason", c.reason], ["message", c.message], ["chart version", c.version],
    ["chart digest", c.digest], ["Helm revision", c.revision ? String(c.revision) : ""], ["drift repaired", c.drift]];
  $("detail-facts").replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("detail-conditions").replaceChildren(...(c.conditions || []).map((x) =>
    el("tr", {}, el("td", {}, x.type), el("td", {}, x.status), el("td", {}, x.reason || ""), el("td", {}, ago(x.since)), el("td", {}, x.message || ""))));
  loadEvents(cluster, component);
}

// loadEvents lists the cell's recent events, newest first.
async function loadEvents(cluster, component) {
  const body = $("detail-events");
  const res = await fetch("api/cell/events?cluster=" + encodeURIComponent(cluster) + "&component=" + encodeURIComponent(component));
  if (!res.ok) { body.replaceChildren(el("tr", {}, el("td", { colSpan: 4 }, "events: " + (await res.text()).trim()))); return; }
  const evs = await res.json();
  body.replaceChildren(...(evs.length ? evs.map((e) => el("tr", { class: e.type === "Warning" ? "warning" : "" },
    el("td", {}, ago(e.time) + (e.count > 1 ? " (×" + e.count + ")" : "")), el("td", {}, e.type), el("td", {}, e.reason), el("td", {}, e.note)))
    : [el("tr", {}, el("td", { colSpan: 4 }, "no recent events"))]));
}

// loadConfig shows the component's effective configuration in the cluster,
// each value with the Hotplug that set it (or the default).
async function loadConfig(cluster, component) {
  const body = $("detail-config");
  body.replaceChildren();
  $("config-note").textContent = "loading…";
  let res;
  try {
    res = await (await fetch("api/config?cluster=" + encodeURIComponent(cluster) + "&component=" + encodeURIComponent(component))).json();
  } catch (e) { $("config-note").textContent = "could not load: " + e; return; }
  if (res.error) { $("config-note").textContent = res.error; return; }
  const layer = (from) => from === "default" ? "default" : from === "common" ? "common" : "Hotplug " + from;
  body.replaceChildren(...(res.origins || []).map((o) =>
    el("tr", { "data-path": o.path }, el("td", {}, o.path), el("td", {}, o.value), el("td", { class: "from" }, layer(o.from)))));
  $("config-note").textContent = (res.revision ? "Computed from revision " + res.revision + " of common, the one this cluster runs. " : "") +
    (res.note ? res.note + ". " : "") + "Helm values not listed come from the chart's values.yaml; {{.cluster}} is shown rendered.";
}

// switchComponent previews the switch (a dry run: the API server and the
// webhook check it), asks for confirmation, then applies it.
async function switchComponent() {
  const sw = $("switch"), out = $("switch-result");
  const body = { cluster: sw.dataset.cluster, component: sw.dataset.component, status: sw.dataset.status };
  const send = async (dryRun) => {
    const res = await fetch("api/switch", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, dryRun }) });
    const text = await res.text();
    if (!res.ok) throw new Error("refused (" + res.status + "): " + text.trim());
    return JSON.parse(text).message;
  };
  try {
    const preview = await send(true);
    if (!confirm("Preview (checked by the API server, nothing stored yet):\n" + preview + "\n\nApply?")) { out.textContent = "not applied"; return; }
    out.textContent = await send(false);
  } catch (e) { out.textContent = e.message; }
}

async function rolloutAction(op) {
  if (!confirm("Really " + op + " the rollout of common?")) return;
  const res = await fetch("api/rollout/" + op, { method: "POST" });
  const text = await res.text();
  let msg = text;
  try { msg = JSON.parse(text).message; } catch (_) { /* the server's error text, unchanged */ }
  $("rollout-result").textContent = res.ok ? msg : "refused (" + res.status + "): " + text.trim();
}

async function login(e) {
  e.preventDefault();
  const res = await fetch("api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: $("login-token").value.trim() }) });
  if (res.ok) { location.reload(); return; }
  $("login-result").textContent = "refused (" + res.status + "): " + (await res.text()).trim();
}

function connect() {
  const es = new EventSource("api/events");
  es.onopen = () => { $("live").textContent = "live"; $("live").className = "live on"; };
  es.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "live off"; };
  es.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    state.clusters = new Map(s.clusters.map((c) => [c.name, c]));
    state.components = s.components;
    state.cells = new Map(s.cells.map((c) => [key(c.cluster, c.component), c]));
    state.rollout = s.rollout || null;
    render();
    renderRollout();
    document.body.dataset.renderMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "true";
  });
  es.addEventListener("cell", (e) => updateCell(JSON.parse(e.data)));
  es.addEventListener("cluster", (e) => {
    const c = JSON.parse(e.data), old = state.clusters.get(c.name);
    state.clusters.set(c.name, c);
    const row = document.getElementById("row-" + c.name);
    if (!old || old.failing !== c.failing || old.state !== c.state || !row) render();
    else row.firstElementChild.replaceWith(headerCell(c));
  });
  es.addEventListener("rollout", (e) => { state.rollout = JSON.parse(e.data); renderRollout(); });
}

document.addEventListener("DOMContentLoaded", async () => {
  for (const id of ["f-cluster", "f-component", "f-phase"]) $(id).addEventListener("input", render);
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("detail").hidden = true; });
  for (const op of ["pause", "resume", "undo"]) $("rollout-" + op).addEventListener("click", () => rolloutAction(op));
  $("switch").addEventListener("click", switchComponent);
  $("login-form").addEventListener("submit", login);
  let who;
  try {
    who = await fetch("api/whoami");
  } catch (e) { $("refused").hidden = false; $("refused").textContent = String(e); return; }
  if (who.status === 401) { $("login").hidden = false; $("live").textContent = "logged out"; return; }
  if (!who.ok) { $("refused").hidden = false; $("refused").textContent = "refused (" + who.status + "): " + (await who.text()).trim(); return; }
  const me = await who.json();
  state.actions = me.actions || {};
  if (me.user) $("summary").dataset.user = me.user;
  connect();
});
