// A tiny static file server for the built playground, on 127.0.0.1 only:
//
//   node tests/serve.mjs [dir] [--port N] [--port-file FILE]
//
// Serves `dir` (default: dist/ beside this folder) with the right content
// types (application/wasm for the module, so it streams), no caching, and
// cross-origin isolation headers (which give the benchmark page a finer
// clock). Port 0 (the default) picks a free port; the chosen port is printed
// and, with --port-file, written to FILE once the server listens. Stop it
// with SIGTERM (by its PID).
import { createServer } from "node:http";
import { readFile, stat, writeFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const port = Number(option("--port") ?? 0);
const portFile = option("--port-file");
const root = resolve(args[0] ?? join(import.meta.dirname, "..", "dist"));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const server = createServer(async (req, res) => {
  try {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = normalize(join(root, path));
    // Never serve anything outside the root.
    if (file !== root && !file.startsWith(root + sep)) throw Object.assign(new Error("outside"), { code: "ENOENT" });
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": body.length,
      "Cache-Control": "no-store",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (e) {
    res.writeHead(e.code === "ENOENT" || e.code === "ENOTDIR" ? 404 : 500, { "Content-Type": "text/plain" });
    res.end(e.code === "ENOENT" || e.code === "ENOTDIR" ? "not found\n" : "error\n");
  }
});

server.listen(port, "127.0.0.1", async () => {
  const { port: actual } = server.address();
  if (portFile) await writeFile(portFile, String(actual));
  console.log(`serving ${root} at http://127.0.0.1:${actual}/ (pid ${process.pid})`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
