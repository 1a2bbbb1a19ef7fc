// Syntax highlighting for Gatehouse policies: a CodeMirror stream language
// that follows the tokens of grammar/gatehouse.pest (comments, strings,
// keywords, methods, paths, JSON paths, scopes, networks, sizes, numbers).
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

// Every keyword of the grammar (the kw_* rules).
const KEYWORDS = new Set(
  ("allow and api array auth authenticate base body burst by cost defaults deny endpoint enum " +
    "first format from has headers host in json keep last like limits mask matches max not " +
    "object of only options or owner public query quota require response scopes shadow types " +
    "version when with").split(" "),
);
// Words that open a statement: drawn stronger than the other keywords.
const STATEMENTS = new Set(
  "api owner base host auth scopes options defaults endpoint public authenticate require when allow deny quota body query headers response mask shadow".split(" "),
);
const METHODS = new Set("GET HEAD POST PUT PATCH DELETE OPTIONS TRACE CONNECT".split(" "));
// Names with a meaning of their own after `by`, `with`, `format` and in
// conditions: references, strategies, auth kinds, windows, types.
const BUILTINS = new Set(
  ("principal claim path header ip key jwt api_key mtls redact remove null hash email " +
    "string int float number bool uuid date datetime uri ipv4 ipv6 s sec min hour day").split(" "),
);

const gatehouse = StreamLanguage.define({
  name: "gatehouse",
  startState: () => ({ afterEndpoint: 0 }),
  token(stream, state) {
    if (stream.eatSpace()) return null;
    if (stream.match(/^#.*/)) return "comment";
    if (stream.match(/^"(?:[^"\\\n]|\\.)*"?/)) return "string";
    // After `endpoint`: the method, then the path pattern.
    if (state.afterEndpoint === 1 && stream.match(/^(\*|[A-Za-z]+)/)) {
      state.afterEndpoint = 2;
      return "typeName";
    }
    if (stream.match(/^\/[^\s{]*(?:\{[^}\s]*\}[^\s{]*)*/)) {
      state.afterEndpoint = 0;
      return "link";
    }
    if (stream.match(/^\$[^\s,]*/)) return "propertyName";
    // Networks before numbers: 10.0.0.0/8, 2001:db8::/32.
    if (stream.match(/^\d{1,3}(\.\d{1,3}){3}(\/\d+)?/) || stream.match(/^[0-9a-fA-F]*::?[0-9a-fA-F:.]*(\/\d+)?(?=[\s,]|$)/)) {
      return "atom";
    }
    if (stream.match(/^\d+(KiB|MiB|GiB|KB|MB|GB|B)\b/)) return "number";
    if (stream.match(/^-?\d+(\.\d+)?/)) return "number";
    if (stream.match(/^(==|!=|<=|>=|<|>|\.\.\.|\.\.|\||=)/)) return "operator";
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*(?:[:./-][A-Za-z0-9_][A-Za-z0-9_-]*)*/);
    if (word) {
      const w = word[0];
      if (w === "endpoint") {
        state.afterEndpoint = 1;
        return "keyword";
      }
      if (w === "true" || w === "false") return "bool";
      if (STATEMENTS.has(w)) return "keyword";
      if (KEYWORDS.has(w)) return "controlKeyword";
      if (METHODS.has(w)) return "typeName";
      // pets:read, repo.status: a scope.
      if (/[:.]/.test(w)) return "variableName.special";
      if (BUILTINS.has(w)) return "variableName.standard";
      return "variableName";
    }
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "#" } },
});

const style = HighlightStyle.define([
  { tag: t.comment, color: "#6b7280", fontStyle: "italic" },
  { tag: t.string, color: "#047857" },
  { tag: t.keyword, color: "#7c3aed", fontWeight: "600" },
  { tag: t.controlKeyword, color: "#7c3aed" },
  { tag: t.typeName, color: "#b45309", fontWeight: "600" },
  { tag: t.link, color: "#1d4ed8" },
  { tag: t.propertyName, color: "#be185d" },
  { tag: t.atom, color: "#0e7490" },
  { tag: t.number, color: "#0e7490" },
  { tag: t.bool, color: "#0e7490" },
  { tag: t.operator, color: "#475569" },
  { tag: t.special(t.variableName), color: "#9a3412" },
  { tag: t.standard(t.variableName), color: "#0f766e" },
  { tag: t.variableName, color: "#1f2937" },
]);

/** The Gatehouse language and its highlighting, as CodeMirror extensions. */
export function gatehouseLanguage() {
  return [gatehouse, syntaxHighlighting(style)];
}
