// Draws one method's route trie of the compiled decision tree
// (`policy.tree()`, gatehouse.tree/v1) as an SVG picture laid out here: a
// horizontal tree, one column per path segment, leaves one row apart and
// each parent centred on its children. Children come in the order the
// evaluator tries them (literal, typed parameter, parameter, `*`, `**`).

const ROW = 46; // vertical distance between leaves
const CHAR = 7.4; // width of one character of the monospace label
const PAD = 12; // horizontal padding inside a node
const GAP = 56; // horizontal gap between columns

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** What kind of access an endpoint has, from its rule summary. */
function accessKind(endpoint) {
  if (endpoint.rules.startsWith("public")) return "public";
  if (endpoint.rules.startsWith("no access rule")) return "closed";
  return "auth";
}

/**
 * The SVG (as text) of `method.nodes`, with the API's base at the root.
 * `selected` is the label of an endpoint to highlight with its path
 * (`GET /pets/{id:int}`), or null.
 */
export function treeSvg(api, method, selected) {
  const nodes = method.nodes.map((n) => ({ ...n, children: [] }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) if (n.parent !== undefined && byId.has(n.parent)) byId.get(n.parent).children.push(n);

  // Leaves take consecutive rows in depth-first order; a parent sits in the
  // middle of its first and last child.
  let row = 0;
  const place = (n) => {
    if (n.children.length === 0) {
      n.y = row++;
    } else {
      n.children.forEach(place);
      n.y = (n.children[0].y + n.children[n.children.length - 1].y) / 2;
    }
  };
  const root = nodes[0];
  if (!root) return "";
  place(root);

  // Columns as wide as their widest node.
  const label = (n) => (n.parent === undefined ? api.base || "/" : n.segment);
  const detail = (n) => (n.endpoint ? n.endpoint.rules : "");
  const width = (n) => Math.max(label(n).length, Math.min(detail(n).length, 34) * 0.86) * CHAR + 2 * PAD;
  const columns = [];
  for (const n of nodes) columns[n.depth] = Math.max(columns[n.depth] ?? 0, width(n));
  const colX = [];
  columns.reduce((x, w, i) => ((colX[i] = x), x + w + GAP), 16);

  // The path from the root to the selected endpoint, highlighted.
  const onPath = new Set();
  const hit = selected ? nodes.find((n) => n.endpoint && n.endpoint.label === selected) : null;
  for (let n = hit; n; n = n.parent === undefined ? null : byId.get(n.parent)) onPath.add(n.id);

  const cy = (n) => 28 + n.y * ROW;
  const parts = [];
  for (const n of nodes) {
    if (n.parent === undefined) continue;
    const p = byId.get(n.parent);
    const x1 = colX[p.depth] + width(p);
    const x2 = colX[n.depth];
    const mid = (x1 + x2) / 2;
    const cls = onPath.has(n.id) ? "edge on-path" : "edge";
    parts.push(`<path class="${cls}" d="M${x1},${cy(p)} C${mid},${cy(p)} ${mid},${cy(n)} ${x2},${cy(n)}"/>`);
  }
  for (const n of nodes) {
    const w = width(n);
    const h = n.endpoint ? 36 : 24;
    const x = colX[n.depth];
    const y = cy(n) - h / 2;
    const kind = n.endpoint ? accessKind(n.endpoint) : n.parent === undefined ? "root" : "segment";
    const cls = ["node", kind, onPath.has(n.id) ? "on-path" : "", hit && hit.id === n.id ? "selected" : ""].join(" ");
    const loc = n.endpoint ? n.endpoint.location : null;
    const data = loc ? ` data-line="${loc.line}" data-file="${escape(loc.file)}" tabindex="0" role="button"` : "";
    const title = n.endpoint
      ? `${n.endpoint.label}\n${n.endpoint.rules}\n${loc.file}:${loc.line}  ${loc.text}`
      : `segment ${label(n)}`;
    parts.push(`<g class="${cls}"${data}><title>${escape(title)}</title>`);
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="7"/>`);
    if (n.endpoint) {
      let rules = detail(n);
      if (rules.length > 34) rules = rules.slice(0, 33) + "…";
      parts.push(`<text class="label" x="${x + PAD}" y="${y + 15}">${escape(label(n))}</text>`);
      parts.push(`<text class="rules" x="${x + PAD}" y="${y + 29}">${escape(rules)}</text>`);
    } else {
      parts.push(`<text class="label" x="${x + PAD}" y="${y + 16}">${escape(label(n))}</text>`);
    }
    parts.push(`</g>`);
  }
  const totalW = colX[columns.length - 1] + columns[columns.length - 1] + 16;
  const totalH = row * ROW + 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="tree-svg" width="${totalW}" height="${totalH}" viewBox="0 0 ${totalW} ${totalH}" role="img" aria-label="decision tree for ${escape(method.method)}">${parts.join("")}</svg>`;
}
