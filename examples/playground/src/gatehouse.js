// Loads the Gatehouse WebAssembly module (built by build.sh into ../pkg/)
// and re-exports its API. Errors thrown by the module are `Error`s named
// `GatehouseError` with `code`, `message` and `details`; `asError` turns
// anything else (a trap, a JS error) into the same shape, so the page has
// one kind of error to show.
import init, * as wasm from "../pkg/gatehouse_wasm.js";

let ready;

/** Instantiates the module once; resolves to its exports. */
export function loadGatehouse() {
  ready ??= init().then(() => wasm);
  return ready;
}

/** `{code, message, details}` from whatever was thrown. */
export function asError(thrown) {
  if (thrown && typeof thrown === "object" && typeof thrown.code === "string") {
    return { code: thrown.code, message: thrown.message, details: thrown.details ?? {} };
  }
  // A WebAssembly trap means the Rust code stopped half-way: the module
  // instance cannot be trusted any more; the page asks for a reload.
  const trap = thrown instanceof WebAssembly.RuntimeError;
  return {
    code: trap ? "internal" : "unexpected",
    message: String(thrown?.message ?? thrown),
    details: {},
  };
}
