// The playground page: wires the editor, the request builder and the panels
// to the Gatehouse WebAssembly module. All the policy logic is in the
// module (check, lint, compile, evaluate, explain, mask, tree, inventory);
// this file only moves text between the page and the module.
import { asError, loadGatehouse } from "./gatehouse.js";
import { createEditor, highlightRule, revealLine, setText, showDiagnostics } from "./editor.js";
import { POLICIES } from "./policies.js";
import { decodeState, encodeState } from "./share.js";
import { treeSvg } from "./tree.js";

const $ = (id) => document.getElementById(id);
const escape = (text) =>
  String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const debounce = (fn, ms) => {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
};

// ---------------------------------------------------------------- state

const app = {
  gh: null, // the module's exports
  editor: null,
  fileName: "petstore.gate", // the name diagnostics and rules point into
  policy: null, // the compiled Policy, or null while the text has errors
  treeData: null,
  treeMethod: null,
  lastReport: null,
};

// ---------------------------------------------------------------- policy

/**
 * Lints the text, compiles it when it has no errors, then re-evaluates.
 * The same text is analysed once, unless `force` (a new request to show).
 */
function analyse(text, force = false) {
  if (text === app.analysed && !force) return;
  app.analysed = text;
  const gh = app.gh;
  const sources = { [app.fileName]: text };
  let doc;
  try {
    doc = gh.lint(sources);
  } catch (e) {
    return fail(asError(e));
  }
  // Checker diagnostics, then lint findings (only when the check passed).
  const items = [...doc.diagnostics, ...doc.findings].filter((d) => d.location.file === app.fileName);
  items.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
  showDiagnostics(app.editor, items);
  renderDiagnosticList(items);

  app.policy?.free();
  app.policy = null;
  if (!doc.checked) {
    const n = doc.diagnostics.filter((d) => d.severity === "error").length;
    setStatus("error", `${n} error${n === 1 ? "" : "s"}`);
    showDecisionMessage("The policy has errors. Fix them to evaluate requests; the list under the editor says where.");
    highlightRule(app.editor, null, null);
    app.lastReport = null;
    $("timing").textContent = "";
    $("explain").innerHTML = "";
    $("audit").textContent = "";
    $("masked").textContent = "";
    $("mask-status").textContent = "";
    $("tree").innerHTML = "";
    $("tree-controls").innerHTML = "";
    $("inventory").innerHTML = "";
    return;
  }
  try {
    app.policy = new gh.Policy(sources);
  } catch (e) {
    return fail(asError(e));
  }
  const inventory = app.policy.inventory();
  const endpoints = inventory.endpoints.length;
  const warnings = doc.warnings;
  setStatus(
    warnings ? "warn" : "ok",
    `compiled · ${endpoints} endpoint${endpoints === 1 ? "" : "s"}${warnings ? ` · ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`,
  );
  app.treeData = app.policy.tree();
  renderInventory(inventory);
  evaluate();
}

function setStatus(kind, text) {
  const pill = $("policy-status");
  pill.className = `pill ${kind}`;
  pill.textContent = text;
}

function renderDiagnosticList(items) {
  const list = $("diagnostics");
  if (items.length === 0) {
    list.innerHTML = `<div class="diag-empty">No problems found.</div>`;
    return;
  }
  list.innerHTML = items
    .map(
      (d, i) => `<button class="diag ${d.severity}" data-index="${i}" type="button">
        <span class="sev">${d.severity === "error" ? "✕" : "!"}</span>
        <span class="where">${d.location.line}:${d.location.column}</span>
        <span class="dcode">${escape(d.code)}</span>
        <span class="msg">${escape(d.message)}${d.help ? `<span class="help">${escape(d.help)}</span>` : ""}</span>
      </button>`,
    )
    .join("");
  list.querySelectorAll(".diag").forEach((el) => {
    const d = items[Number(el.dataset.index)];
    el.addEventListener("click", () => revealLine(app.editor, d.location.line, d.location.column));
  });
}

// ---------------------------------------------------------------- request

/** The request JSON from the builder, or throws a message for the user. */
function buildRequest() {
  const request = { method: $("method").value, path: $("path").value.trim() || "/" };
  const host = $("host").value.trim();
  if (host) request.host = host;
  const ip = $("client-ip").value.trim();
  if (ip) request.client_ip = ip;
  const headers = [];
  for (const [n, line] of $("headers").value.split("\n").entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`header line ${n + 1} is not \`Name: value\``);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  if (headers.length) request.headers = headers;
  const principal = $("principal").value.trim();
  if (principal) {
    try {
      request.principal = JSON.parse(principal);
    } catch (e) {
      throw new Error(`the principal is not valid JSON: ${e.message}`);
    }
  }
  const body = $("body").value;
  if (body) request.body = body; // a string: sent as it is
  // The library reads no clock: quotas count with the time given here.
  request.time_ms = Date.now();
  return request;
}

/** Fills the builder from request JSON (a sample test or a shared link). */
function fillRequest(r) {
  $("method").value = r.method ?? "GET";
  $("path").value = r.path ?? "/";
  $("host").value = r.host ?? "";
  $("client-ip").value = r.client_ip ?? r.peer ?? "";
  let headers = r.headers ?? [];
  if (!Array.isArray(headers)) {
    headers = Object.entries(headers).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x]) : [[n, v]]));
  }
  $("headers").value = headers.map(([n, v]) => `${n}: ${v}`).join("\n");
  $("principal").value = r.principal ? JSON.stringify(r.principal, null, 2) : "";
  $("body").value = r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
}

// ---------------------------------------------------------------- evaluate

function evaluate() {
  if (!app.policy) return;
  $("request-error").textContent = "";
  let request;
  try {
    request = buildRequest();
  } catch (e) {
    $("request-error").textContent = e.message;
    return;
  }
  const response = $("response").value.trim();
  const options = {
    audit: true,
    time_ms: request.time_ms,
    response: response || undefined,
    mask: { hash_key: $("hash-key").value || undefined },
  };
  let report, trace;
  const started = performance.now();
  try {
    report = app.policy.evaluate(request, options);
  } catch (e) {
    return showError(asError(e));
  }
  const took = performance.now() - started;
  try {
    trace = app.policy.explain(request);
  } catch (e) {
    trace = null;
  }
  app.lastReport = report;
  $("timing").textContent = `decided in ${took < 1 ? `${Math.round(took * 1000)} µs` : `${took.toFixed(1)} ms`} (with the report)`;
  renderDecision(report);
  renderExplain(trace);
  renderMasked(report, response);
  $("audit").textContent = JSON.stringify(report.audit, null, 2);
  renderTree();
  const here = (loc) => loc && loc.file === app.fileName;
  highlightRule(app.editor, here(report.rule) ? report.rule : null, here(report.endpoint) ? report.endpoint : null);
}

function showError(error) {
  if (error.code === "internal" || error.code === "unexpected") return fail(error);
  const where = error.details?.line ? ` (line ${error.details.line}, column ${error.details.column})` : "";
  $("decision").className = "decision error";
  $("decision").innerHTML = `<div class="verdict error"><span class="badge">ERROR</span><code>${escape(error.code)}</code></div>
    <p class="message">${escape(error.message)}${escape(where)}</p>`;
  $("decision").dataset.reason = error.code;
}

function showDecisionMessage(text) {
  $("decision").className = "decision empty";
  $("decision").textContent = text;
  delete $("decision").dataset.reason;
}

/** A link to a place in the policy: click to jump there. */
const place = (loc) =>
  loc && loc.file === app.fileName
    ? `<a href="#" class="loc" data-line="${loc.line}" data-column="${loc.column}">${escape(loc.file)}:${loc.line}:${loc.column}</a>`
    : loc
      ? `<span class="loc">${escape(loc.file)}:${loc.line}</span>`
      : "";

function renderDecision(r) {
  const allowed = r.decision === "allow";
  const el = $("decision");
  el.className = `decision ${allowed ? "allow" : "deny"}`;
  el.dataset.reason = r.reason;
  const rows = [];
  if (r.endpoint) rows.push(["Endpoint", `<code>${escape(r.endpoint.method)} ${escape(r.endpoint.path)}</code> ${place(r.endpoint)}`]);
  if (r.rule) rows.push(["Rule", `<code class="rule">${escape(r.rule.text)}</code> ${place(r.rule)}`]);
  if (r.violation) {
    const at = r.violation.pointer || "(the whole body)";
    rows.push(["At", `${escape(r.violation.part)} <code>${escape(at)}</code>`]);
    rows.push(["Breaks", `<code>${escape(r.violation.rule.text)}</code> ${place(r.violation.rule)}`]);
  }
  for (const [name, value] of Object.entries(r.headers ?? {})) rows.push(["Header", `<code>${escape(name)}: ${escape(value)}</code>`]);
  for (const s of r.shadow ?? []) {
    rows.push(["Shadow", `${escape(s.endpoint)} would deny <b>${s.status} ${escape(s.reason)}</b>: ${escape(s.message)} ${place(s.rule)}`]);
  }
  if (r.response_only) rows.push(["Response", `only <code>${r.response_only.map(escape).join(", ")}</code>`]);
  for (const m of r.masks ?? []) {
    const how = m.strategy === "keep" ? `keep ${m.end} ${m.count}` : `with ${m.strategy}`;
    rows.push(["Mask", `<code>${m.paths.map(escape).join(", ")}</code> ${escape(how)}`]);
  }
  if (r.client_ip) rows.push(["Client", `<code>${escape(r.client_ip)}</code>`]);
  el.innerHTML = `
    <div class="verdict"><span class="badge">${allowed ? "ALLOW" : "DENY"}</span>
      <span class="status">${r.status}</span><code class="reason">${escape(r.reason)}</code></div>
    <p class="message">${escape(r.message)}</p>
    ${r.hint ? `<p class="hint-line"><span>To pass</span> ${escape(r.hint)}</p>` : ""}
    <dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`;
  wireLocations(el);
}

function wireLocations(root) {
  root.querySelectorAll("a.loc").forEach((a) =>
    a.addEventListener("click", (e) => {
      e.preventDefault();
      revealLine(app.editor, Number(a.dataset.line), Number(a.dataset.column) || 1);
    }),
  );
}

function renderExplain(trace) {
  const el = $("explain");
  if (!trace) {
    el.innerHTML = `<p class="hint">No trace for this request.</p>`;
    return;
  }
  const steps = trace.steps
    .map((s, i) => {
      const rule = s.rule
        ? `<div class="step-rule">${place({ ...s.rule, end_line: 0 })} <code>${escape(s.rule.text)}</code>${s.inherited ? ` <span class="tag">from defaults</span>` : ""}</div>`
        : "";
      const details = s.details?.length ? `<ul>${s.details.map((d) => `<li>${escape(d)}</li>`).join("")}</ul>` : "";
      const shadow = s.shadow_endpoint ? `<span class="tag">shadow ${escape(s.endpoint)}</span> ` : "";
      return `<li class="step ${s.outcome}${s.deciding ? " deciding" : ""}">
        <span class="num">${i + 1}</span><span class="phase">${escape(s.phase)}</span>
        <span class="outcome">${escape(s.outcome.replace("_", " "))}</span>
        <div class="body"><div>${shadow}${escape(s.summary)}${s.deciding ? ` <span class="tag decided">decided</span>` : ""}</div>${rule}${details}</div>
      </li>`;
    })
    .join("");
  const toPass = trace.to_pass?.length
    ? `<div class="to-pass"><b>To pass:</b><ul>${trace.to_pass.map((h) => `<li>${escape(h)}</li>`).join("")}</ul></div>`
    : "";
  el.innerHTML = `<ol class="steps">${steps}</ol>${toPass}`;
  wireLocations(el);
}

function renderMasked(report, response) {
  const status = $("mask-status");
  const out = $("masked");
  if (!response) {
    status.className = "pill";
    status.textContent = "no response given";
    out.textContent = "";
  } else if (report.response !== undefined) {
    status.className = "pill ok";
    status.textContent = "masked";
    out.textContent = prettyJson(report.response);
  } else if (report.response_error) {
    const e = report.response_error;
    status.className = "pill error";
    status.textContent = e.code === "request_denied" ? "request denied" : "withheld";
    out.textContent = e.message;
  }
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------- tree & inventory

function renderTree() {
  const controls = $("tree-controls");
  const data = app.treeData;
  if (!data) return;
  const choices = data.apis.flatMap((api, a) => api.methods.map((m, i) => ({ api, a, m, i })));
  const selected = app.lastReport?.endpoint ? `${app.lastReport.endpoint.method} ${app.lastReport.endpoint.path}` : null;
  // Follow the decided request's method unless one was picked by hand.
  if (app.lastReport?.endpoint && !app.treeMethodPinned) app.treeMethod = app.lastReport.endpoint.method;
  let current = choices.find((c) => c.m.method === app.treeMethod) ?? choices[0];
  if (!current) {
    controls.innerHTML = "";
    $("tree").innerHTML = `<p class="hint">No endpoints.</p>`;
    return;
  }
  controls.innerHTML =
    `<span class="hint">${escape(current.api.name)} · method:</span>` +
    choices
      .map((c) => `<button type="button" class="chip${c === current ? " active" : ""}" data-method="${c.m.method}">${c.m.method}</button>`)
      .join("") +
    `<span class="legend"><i class="public"></i>public <i class="auth"></i>authenticated <i class="closed"></i>denies all <i class="sel"></i>decided</span>`;
  controls.querySelectorAll(".chip").forEach((b) =>
    b.addEventListener("click", () => {
      app.treeMethod = b.dataset.method;
      app.treeMethodPinned = true;
      renderTree();
    }),
  );
  const tree = $("tree");
  tree.innerHTML = treeSvg(current.api, current.m, selected);
  tree.querySelectorAll("g.node[data-line]").forEach((g) => {
    const go = () => revealLine(app.editor, Number(g.dataset.line));
    g.addEventListener("click", go);
    g.addEventListener("keydown", (e) => e.key === "Enter" && go());
  });
}

function renderInventory(inventory) {
  const rows = inventory.endpoints
    .map(
      (e) => `<tr>
      <td><code>${escape(e.method)}</code></td><td><code>${escape(e.path)}</code></td>
      <td>${e.public ? `<span class="tag public">public</span>` : e.auth.length ? escape(e.auth.join(" | ")) : `<span class="tag closed">none</span>`}</td>
      <td>${escape(e.scopes.map((g) => g.join(" | ")).join(", "))}</td>
      <td>${escape(e.conditions.join("; "))}</td>
      <td>${escape(e.quotas.join(", "))}</td>
      <td>${escape([...e.masks, ...(e.response_only ? [`only ${e.response_only.join(", ")}`] : [])].join("; "))}</td>
      <td>${e.shadow ? `<span class="tag">shadow</span>` : ""}</td>
      <td>${place({ ...e.location, end_line: 0 })}</td></tr>`,
    )
    .join("");
  $("inventory").innerHTML = `<table class="inventory"><thead><tr><th>Method</th><th>Path</th><th>Auth</th><th>Scopes</th>
    <th>When</th><th>Quotas</th><th>Response</th><th></th><th>Where</th></tr></thead><tbody>${rows}</tbody></table>`;
  wireLocations($("inventory"));
}

// ---------------------------------------------------------------- pickers, sharing

function pickPolicy(name, { sample = true } = {}) {
  const policy = POLICIES.find((p) => p.name === name) ?? POLICIES[0];
  app.fileName = policy.name;
  $("policy-picker").value = policy.name;
  $("file-name").textContent = policy.name;
  if (policy.hashKey) $("hash-key").value = policy.hashKey;
  const picker = $("sample-picker");
  picker.innerHTML =
    `<option value="">Sample requests (${policy.tests.length})…</option>` +
    policy.tests
      .map((t, i) => `<option value="${i}">${t.expect?.decision === "allow" ? "✓" : "✕"} ${escape(t.name.replace(/_/g, " "))}</option>`)
      .join("");
  app.treeMethodPinned = false;
  // Start with a test that has a response to mask, if there is one.
  if (sample) loadSample(Math.max(policy.tests.findIndex((t) => t.response), 0));
  setText(app.editor, policy.text);
  analyse(policy.text, true);
}

/** Fills the request builder (and the response) from a sample test. */
function loadSample(index) {
  const policy = POLICIES.find((p) => p.name === app.fileName);
  const test = policy?.tests[index];
  if (!test) return;
  $("sample-picker").value = String(index);
  fillRequest(test.request);
  $("response").value = test.response === undefined ? "" : JSON.stringify(test.response, null, 2);
}

function pickSample(index) {
  loadSample(index);
  evaluate();
}

function currentState() {
  return {
    v: 1,
    file: app.fileName,
    text: app.editor.state.doc.toString(),
    request: {
      method: $("method").value,
      path: $("path").value,
      host: $("host").value,
      client_ip: $("client-ip").value,
      headers: $("headers").value,
      principal: $("principal").value,
      body: $("body").value,
    },
    response: $("response").value,
  };
}

function restoreState(state) {
  app.fileName = state.file || "policy.gate";
  $("file-name").textContent = app.fileName;
  if (POLICIES.some((p) => p.name === app.fileName)) {
    pickPolicy(app.fileName, { sample: false });
  } else {
    $("policy-picker").value = "";
    $("sample-picker").innerHTML = `<option value="">Sample requests…</option>`;
  }
  const r = state.request ?? {};
  $("method").value = r.method ?? "GET";
  $("path").value = r.path ?? "/";
  $("host").value = r.host ?? "";
  $("client-ip").value = r.client_ip ?? "";
  $("headers").value = r.headers ?? "";
  $("principal").value = r.principal ?? "";
  $("body").value = r.body ?? "";
  $("response").value = state.response ?? "";
  setText(app.editor, state.text ?? "");
  analyse(state.text ?? "", true);
}

async function share() {
  const hash = await encodeState(currentState());
  history.replaceState(null, "", `#${hash}`);
  const url = location.href;
  $("share-url").value = url;
  $("share-copied").textContent = "";
  $("share-dialog").showModal();
  $("share-url").select();
  try {
    await navigator.clipboard.writeText(url);
    $("share-copied").textContent = "Copied to the clipboard.";
  } catch {
    $("share-copied").textContent = "Copy the link above.";
  }
}

// ---------------------------------------------------------------- failures

/** An error the page cannot recover from (a bug in the module). */
function fail(error) {
  const banner = $("banner");
  banner.hidden = false;
  banner.textContent =
    error.code === "internal"
      ? `Gatehouse hit an internal error (${error.message}). Please reload the page, and report the policy and request.`
      : `Something went wrong: ${error.message}`;
}

// ---------------------------------------------------------------- start

const analyseSoon = debounce(analyse, 250);
const evaluateSoon = debounce(evaluate, 300);

async function start() {
  try {
    app.gh = await loadGatehouse();
  } catch (e) {
    return fail({ code: "load", message: `the WebAssembly module did not load: ${e.message ?? e}` });
  }
  $("version").textContent = `v${app.gh.version()}`;
  $("policy-picker").innerHTML = POLICIES.map((p) => `<option value="${escape(p.name)}">${escape(p.name)}</option>`).join("");

  app.editor = createEditor($("editor"), "", (text) => analyseSoon(text));

  $("policy-picker").addEventListener("change", (e) => pickPolicy(e.target.value));
  $("sample-picker").addEventListener("change", (e) => e.target.value !== "" && pickSample(Number(e.target.value)));
  $("request-form").addEventListener("submit", (e) => {
    e.preventDefault();
    evaluate();
  });
  for (const id of ["method", "path", "host", "client-ip", "headers", "principal", "body", "response", "hash-key"]) {
    $(id).addEventListener("input", () => evaluateSoon());
  }
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      evaluate();
    }
  });
  $("format-btn").addEventListener("click", () => {
    try {
      setText(app.editor, app.gh.format(app.editor.state.doc.toString()));
    } catch (e) {
      const error = asError(e);
      $("banner").hidden = false;
      $("banner").textContent = `Not formatted: ${error.message}.`;
      setTimeout(() => ($("banner").hidden = true), 4000);
    }
  });
  $("share-btn").addEventListener("click", share);
  document.querySelectorAll(".tabs [role=tab]").forEach((tab) =>
    tab.addEventListener("click", () => {
      document.querySelectorAll(".tabs [role=tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
      document.querySelectorAll(".tab-panel").forEach((p) => (p.hidden = p.dataset.panel !== tab.dataset.tab));
    }),
  );

  const shared = await decodeState(location.hash);
  if (shared) {
    restoreState(shared);
  } else {
    pickPolicy(POLICIES[0]?.name);
  }
  // For the browser console and the end-to-end test: the module and the
  // editor's text. The page is then ready (the test waits for this).
  window.playground = { gatehouse: app.gh, text: () => app.editor.state.doc.toString() };
  document.body.dataset.ready = "true";
}

start();
