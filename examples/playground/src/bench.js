// In-page benchmark: the time to decide one request inside the browser's
// WebAssembly engine, beside criterion's native figure for the same policy
// and request (crates/gatehouse/benches/playground.rs).
//
// Two measurements, each the median per request over its samples:
// - `decide`: `policy.decideStatus(parsed)`: the evaluator alone, on a
//   request parsed once (native peer: `playground/decide`);
// - `evaluate`: `policy.evaluate(json)`: what the page does per click:
//   parse the request JSON, decide, build the report, serialise it, and
//   `JSON.parse` it in JS (native peer: `playground/evaluate_json`).
// The browser's clock is coarse (5 µs to 100 µs), so requests are timed in
// samples of `batch` and the median is taken over the samples' per-request
// times. `?auto` runs at once; the result is also `window.benchResults`.
import { loadGatehouse } from "./gatehouse.js";
import { POLICIES } from "./policies.js";

/** The request of the benchmark: user alice reads her own profile. */
export const BENCH_REQUEST = {
  method: "GET",
  path: "/v1/users/alice",
  client_ip: "203.0.113.5",
  headers: [["X-Request-Id", "7f3a"]],
  principal: { scheme: "user", subject: "alice", scopes: ["users:read"] },
};

// The policy's quotas count in the compiled policy's in-memory store, and
// the library reads no clock: each request is given a time 4 s after the
// last, so `quota 1000/hour by principal` always has room and every
// request takes the same (allowed) path, as in the native benchmark.
let now = 1700000000000;
const tick = () => (now += 4000);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `fn` `total` times in samples of `batch`; ns per call, median and
 * spread. The engine first runs new WebAssembly code in its baseline tier
 * and compiles the hot functions again, optimised, in the background; the
 * warm-up runs `fn` for `warmupMs` so that the samples time the optimised
 * code (as criterion's warm-up does natively).
 */
function measure(fn, total, batch, warmupMs) {
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) for (let i = 0; i < 100; i++) fn();
  const perCall = [];
  for (let done = 0; done < total; done += batch) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCall.push(((performance.now() - t0) * 1e6) / batch);
  }
  return { median_ns: median(perCall), min_ns: Math.min(...perCall), max_ns: Math.max(...perCall), samples: perCall.length, requests: total };
}

async function run() {
  const out = document.getElementById("out");
  out.textContent = "running…";
  const gh = await loadGatehouse();
  const petstore = POLICIES.find((p) => p.name === "petstore.gate");
  const policy = new gh.Policy({ "petstore.gate": petstore.text });
  const json = JSON.stringify(BENCH_REQUEST);
  const parsed = new gh.ParsedRequest(json);
  const check = policy.evaluate(json, { time_ms: tick() });
  if (check.decision !== "allow") throw new Error(`the benchmark request is not allowed: ${check.reason}`);

  // decide: 100,000 requests in 50 samples of 2,000 after 1 s of warm-up;
  // evaluate: 10,000 in 50 samples of 200 after 1 s.
  let statuses = new Set();
  const results = {
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated,
    request: BENCH_REQUEST,
    decide: measure(() => statuses.add(policy.decideStatus(parsed, tick())), 100000, 2000, 1000),
    evaluate: measure(() => policy.evaluate(json, `{"time_ms":${tick()}}`), 10000, 200, 1000),
  };
  results.statuses = [...statuses];
  if (results.statuses.length !== 1 || results.statuses[0] !== 200) {
    throw new Error(`the benchmark request was not always allowed: ${results.statuses}`);
  }
  parsed.free();
  policy.free();
  window.benchResults = results;
  const fmt = (r) => `${(r.median_ns / 1000).toFixed(2)} µs median (min ${(r.min_ns / 1000).toFixed(2)}, max ${(r.max_ns / 1000).toFixed(2)}; ${r.samples} samples, ${r.requests} requests)`;
  out.textContent = `decide   (evaluator only):              ${fmt(results.decide)}\nevaluate (JSON in, report out, as the page): ${fmt(results.evaluate)}\n\n${JSON.stringify(results, null, 2)}`;
  return results;
}

document.getElementById("run").addEventListener("click", () => run().catch((e) => (document.getElementById("out").textContent = String(e))));
if (new URLSearchParams(location.search).has("auto")) {
  run().catch((e) => {
    window.benchResults = { error: String(e?.message ?? e) };
    document.getElementById("out").textContent = String(e);
  });
}
