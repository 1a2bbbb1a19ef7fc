// Tests of the gatehouse-wasm JS API under Node: every exported function,
// its answers and its error paths, through the same wasm-bindgen glue the
// page uses (pkg/, built by build.sh with `--target web`; `initSync` loads
// it without fetch).
//
//   node --test tests/api.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = import.meta.dirname;
const gh = await import(join(here, "..", "pkg", "gatehouse_wasm.js"));
gh.initSync({ module: readFileSync(join(here, "..", "pkg", "gatehouse_wasm_bg.wasm")) });

const PETSTORE = readFileSync(join(here, "..", "..", "..", "policies", "petstore.gate"), "utf8");
const SOURCES = { "petstore.gate": PETSTORE };
const NOW = 1_700_000_000_000;
const ALICE = {
  method: "GET",
  path: "/v1/users/alice",
  client_ip: "203.0.113.5",
  principal: { scheme: "user", subject: "alice", scopes: ["users:read"] },
  time_ms: NOW,
};
const RESPONSE = JSON.stringify({ id: "alice", name: "Alice", ssn: "078-05-1120", password_hash: "x" });

/** Calls `fn`, which must throw a GatehouseError with `code`; returns it. */
function throwsCode(fn, code) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown, `expected a ${code} error`);
  assert.ok(thrown instanceof Error, "errors are Error objects");
  assert.equal(thrown.name, "GatehouseError");
  assert.equal(thrown.code, code, thrown.message);
  assert.equal(typeof thrown.message, "string");
  assert.equal(typeof thrown.details, "object");
  return thrown;
}

test("version names the crate version", () => {
  assert.match(gh.version(), /^\d+\.\d+\.\d+/);
});

test("check: a clean policy, and one with an error at its line and column", () => {
  const ok = gh.check(PETSTORE);
  assert.equal(ok.errors, 0);
  assert.equal(ok.files, 1);
  const bad = gh.check({ "p.gate": 'api "a"\nendpoint GET /x {\n  require nope\n}\n' });
  assert.ok(bad.errors >= 1);
  const d = bad.diagnostics.find((d) => d.message.includes("nope"));
  assert.equal(d.severity, "error");
  assert.match(d.code, /^GH-E\d{4}$/);
  assert.deepEqual([d.location.file, d.location.line, d.location.column], ["p.gate", 3, 11]);
  assert.ok(d.location.end_column > d.location.column);
});

test("check accepts sources as text, an object or a list, and refuses anything else", () => {
  assert.equal(gh.check([{ name: "a.gate", text: PETSTORE }]).errors, 0);
  assert.equal(gh.check(JSON.stringify(SOURCES)).errors, 1, "a JSON string is policy text, not JSON");
  throwsCode(() => gh.check(42), "invalid_input");
  throwsCode(() => gh.check({ "a.gate": 1 }), "invalid_input");
});

test("lint: findings with rule names and coverage", () => {
  const doc = gh.lint('api "a"\nendpoint GET /x {\n  public\n}\n');
  assert.equal(doc.checked, true);
  const finding = doc.findings.find((f) => f.rule === "public-without-quota");
  assert.ok(finding, JSON.stringify(doc.findings));
  assert.equal(finding.location.line, 2);
  assert.ok(doc.coverage.total);
  assert.equal(gh.lint("api").checked, false, "a policy that does not parse is not linted");
});

test("format: the canonical layout, and syntax_error for broken text", () => {
  assert.equal(gh.format('api   "a"'), 'api "a"\n');
  assert.equal(gh.format(PETSTORE), PETSTORE, "policies/ is kept formatted");
  const e = throwsCode(() => gh.format('api "a"\nendpoint GET /x {'), "syntax_error");
  assert.ok(e.details.diagnostics.length >= 1);
});

test("Policy: compiles once; policy_invalid carries the diagnostics", () => {
  const policy = new gh.Policy(SOURCES);
  assert.equal(policy.warnings().errors, 0);
  policy.free();
  const e = throwsCode(() => new gh.Policy('api "a"\nendpoint GET /x {\n  require nope\n}\n'), "policy_invalid");
  assert.match(e.message, /policy\.gate:3:11/);
  assert.ok(e.details.diagnostics.some((d) => d.location.line === 3));
});

test("evaluate: allowed and denied, with the deciding rule's place", () => {
  const policy = new gh.Policy(SOURCES);
  const allowed = policy.evaluate(ALICE);
  assert.equal(allowed.decision, "allow");
  assert.equal(allowed.status, 200);
  assert.equal(allowed.endpoint.path, "/users/{uid}");
  const denied = policy.evaluate({ ...ALICE, principal: { ...ALICE.principal, subject: "bob" } });
  assert.equal(denied.decision, "deny");
  assert.equal(denied.reason, "condition_failed");
  assert.equal(denied.status, 403);
  assert.match(denied.rule.text, /^when path\.uid == principal\.sub/);
  assert.deepEqual([denied.rule.file, denied.rule.line, denied.rule.column], ["petstore.gate", 47, 3]);
  assert.ok(denied.message.length > 0);
  const anonymous = policy.evaluate({ method: "GET", path: "/v1/pets", time_ms: NOW });
  assert.equal(anonymous.reason, "unauthenticated");
  assert.ok(anonymous.headers["WWW-Authenticate"]);
  // JSON text works as well as an object.
  assert.equal(policy.evaluate(JSON.stringify(ALICE)).decision, "allow");
  policy.free();
});

test("evaluate writes the document `gatehouse eval --json` writes", () => {
  // One document per schema name: the module, the JSON API and the CLI
  // build gatehouse.decision/v1 in one place (json_api::decision_document).
  const cli = process.env.GATEHOUSE_CLI;
  assert.ok(cli, "GATEHOUSE_CLI is not set: run the tests through test.sh, which builds the CLI");
  const root = join(here, "..", "..", "..");
  const names = readdirSync(join(root, "policies")).filter((f) => f.endsWith(".gate")).sort();
  const sources = Object.fromEntries(
    names.map((f) => [`policies/${f}`, readFileSync(join(root, "policies", f), "utf8")]),
  );
  const requests = join(root, "tests", "requests");
  const response = readFileSync(join(root, "tests", "responses", "get-own-user.json"), "utf8");
  const scratch = mkdtempSync(join(tmpdir(), "gatehouse-decision-"));
  let compared = 0;
  try {
    for (const file of readdirSync(requests).filter((f) => f.endsWith(".json")).sort()) {
      const request = { time_ms: NOW, ...JSON.parse(readFileSync(join(requests, file), "utf8")) };
      if (request.body_file) {
        // The module reads no files: the body goes inline, as a string.
        request.body = readFileSync(join(requests, request.body_file), "utf8");
        delete request.body_file;
      }
      const requestFile = join(scratch, "request.json");
      const responseFile = join(scratch, "response.json");
      writeFileSync(requestFile, JSON.stringify(request));
      writeFileSync(responseFile, response);
      for (const [audit, withResponse] of [[false, false], [true, false], [false, true]]) {
        const args = ["eval", "policies/", "--json", "--request", requestFile];
        if (audit) args.push("--audit");
        if (withResponse) args.push("--response", responseFile);
        const run = spawnSync(cli, args, { cwd: root, encoding: "utf8" });
        assert.ok(run.stdout, `${file}: the CLI printed nothing: ${run.stderr}`);
        // A fresh policy per request: each CLI run counts quotas from zero.
        const policy = new gh.Policy(sources);
        const options = { audit, ...(withResponse ? { response } : {}) };
        assert.deepEqual(policy.evaluate(request, options), JSON.parse(run.stdout), `${file} ${JSON.stringify(options)}`);
        policy.free();
        compared += 1;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  assert.ok(compared >= 18, `only ${compared} documents compared`);
});

test("evaluate options: the audit record, the time, a response to mask", () => {
  const policy = new gh.Policy(SOURCES);
  const { time_ms, ...untimed } = ALICE;
  const report = policy.evaluate(untimed, { audit: true, time_ms, response: RESPONSE });
  assert.equal(report.audit.schema, "gatehouse.audit/v1");
  assert.equal(report.audit.time_ms, time_ms);
  assert.deepEqual(JSON.parse(report.response), { id: "alice", name: "Alice", ssn: "*******1120" });
  const withheld = policy.evaluate(ALICE, { response: "{not json" });
  assert.equal(withheld.response_error.code, "response_withheld");
  throwsCode(() => policy.evaluate(ALICE, { nope: true }), "invalid_input");
  policy.free();
});

test("evaluate: a bad request is invalid_request with its line and column", () => {
  const policy = new gh.Policy(SOURCES);
  const e = throwsCode(() => policy.evaluate('{"method": "GET",\n  "pth": "/v1/pets"}'), "invalid_request");
  assert.equal(e.details.line, 2);
  throwsCode(() => policy.evaluate({ method: "GET", path: "/", body_file: "x.json" }), "invalid_request");
  throwsCode(() => policy.evaluate("not json"), "invalid_request");
  policy.free();
});

test("explain: the steps, the deciding one marked, and what would pass", () => {
  const policy = new gh.Policy(SOURCES);
  const trace = policy.explain({ ...ALICE, principal: { ...ALICE.principal, subject: "bob" } });
  assert.equal(trace.schema, "gatehouse.trace/v1");
  const deciding = trace.steps.filter((s) => s.deciding);
  assert.equal(deciding.length, 1);
  assert.equal(deciding[0].phase, "condition");
  assert.ok(trace.to_pass.length >= 1);
  throwsCode(() => policy.explain({}), "invalid_request");
  policy.free();
});

test("maskResponse: masks, refuses a denied request, withholds what it cannot parse", () => {
  const policy = new gh.Policy(SOURCES);
  const masked = policy.maskResponse(ALICE, RESPONSE);
  assert.equal(masked.endpoint, "GET /users/{uid}");
  assert.deepEqual(JSON.parse(masked.masked), { id: "alice", name: "Alice", ssn: "*******1120" });
  const denied = throwsCode(() => policy.maskResponse({ ...ALICE, principal: undefined }, RESPONSE), "request_denied");
  assert.equal(denied.details.decision.reason, "unauthenticated");
  const withheld = throwsCode(() => policy.maskResponse(ALICE, '{"id": '), "response_withheld");
  assert.equal(withheld.details.problem, "invalid_json");
  const large = throwsCode(() => policy.maskResponse(ALICE, RESPONSE, { max_bytes: 10 }), "response_withheld");
  assert.equal(large.details.problem, "too_large");
  throwsCode(() => policy.maskResponse(ALICE, RESPONSE, { hash_key: 5 }), "invalid_input");
  policy.free();
});

test("tree and inventory: data for drawing and tables", () => {
  const policy = new gh.Policy(SOURCES);
  const tree = policy.tree();
  assert.equal(tree.schema, "gatehouse.tree/v1");
  const get = tree.apis[0].methods.find((m) => m.method === "GET");
  assert.equal(get.nodes[0].segment, "/");
  assert.ok(get.nodes.some((n) => n.endpoint?.label === "GET /users/{uid}"));
  const inventory = policy.inventory();
  assert.equal(inventory.schema, "gatehouse.inventory/v1");
  assert.equal(inventory.endpoints.length, 7);
  assert.ok(inventory.endpoints.every((e) => e.location.file === "petstore.gate"));
  policy.free();
});

test("ParsedRequest and decideStatus: the evaluator alone, with the time as a parameter", () => {
  const policy = new gh.Policy(SOURCES);
  const { time_ms, ...untimed } = ALICE;
  const parsed = new gh.ParsedRequest(untimed);
  assert.equal(policy.decideStatus(parsed, time_ms), 200);
  const bob = new gh.ParsedRequest({ ...ALICE, principal: { ...ALICE.principal, subject: "bob" } });
  assert.equal(policy.decideStatus(bob), 403);
  throwsCode(() => new gh.ParsedRequest({ method: "GET" }), "invalid_request");
  parsed.free();
  bob.free();
  policy.free();
});

// Last: after a panic the instance's Rust state is abandoned mid-call.
test("a panic is thrown as a GatehouseError with the code internal", () => {
  const e = throwsCode(() => gh._panicForTests(), "internal");
  assert.match(e.message, /deliberate panic/);
});
