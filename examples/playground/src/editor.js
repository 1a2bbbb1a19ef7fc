// The policy editor: CodeMirror 6 with the Gatehouse language, diagnostic
// markers (from the module's check and lint), and a highlight for the rule
// that decided the last request.
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { gatehouseLanguage } from "./lang.js";

/**
 * The document offset of a 1-based line and column, where the column
 * counts Unicode characters (as Gatehouse's locations do) and CodeMirror
 * counts UTF-16 code units.
 */
export function offsetOf(doc, line, column) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let offset = 0;
  let chars = 1;
  for (const ch of l.text) {
    if (chars >= column) break;
    offset += ch.length;
    chars += 1;
  }
  return l.from + offset;
}

/** `{from, to}` of a location `{line, column, end_line, end_column}`. */
export function rangeOf(doc, loc) {
  const from = offsetOf(doc, loc.line, loc.column);
  const to = loc.end_line ? offsetOf(doc, loc.end_line, loc.end_column) : from;
  return { from, to: Math.max(to, from) };
}

// The deciding rule (and its endpoint), as decorations that follow edits.
const setMarks = StateEffect.define();
const ruleMark = Decoration.mark({ class: "cm-deciding-rule" });
const ruleLine = Decoration.line({ class: "cm-deciding-line" });
const endpointLine = Decoration.line({ class: "cm-endpoint-line" });

const marks = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    value = value.map(tr.changes);
    for (const e of tr.effects) if (e.is(setMarks)) value = e.value;
    return value;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Creates the editor in `parent`; `onChange(text)` runs after each edit. */
export function createEditor(parent, text, onChange) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab]),
        gatehouseLanguage(),
        lintGutter(),
        marks,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ "aria-label": "policy editor", spellcheck: "false" }),
      ],
    }),
  });
  return view;
}

/** Replaces the whole text (a picked policy, a shared link, `format`). */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/**
 * Shows diagnostics: `items` are `{location, severity, message, code, help}`
 * from check/lint (in the current file).
 */
export function showDiagnostics(view, items) {
  const doc = view.state.doc;
  const diagnostics = items.map((d) => {
    const { from, to } = rangeOf(doc, d.location);
    return {
      from,
      to: Math.min(Math.max(to, from + 1), doc.length),
      severity: d.severity === "error" ? "error" : "warning",
      source: d.code,
      message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
    };
  });
  view.dispatch(setDiagnostics(view.state, diagnostics));
}

/** Highlights the deciding rule and its endpoint's line; `null` clears. */
export function highlightRule(view, rule, endpoint) {
  const doc = view.state.doc;
  const ranges = [];
  if (endpoint) ranges.push(endpointLine.range(doc.line(Math.min(endpoint.line, doc.lines)).from));
  if (rule) {
    const { from, to } = rangeOf(doc, rule);
    const first = doc.lineAt(from).number;
    const last = doc.lineAt(to).number;
    for (let n = first; n <= last; n++) {
      if (!(endpoint && n === endpoint.line)) ranges.push(ruleLine.range(doc.line(n).from));
    }
    if (to > from) ranges.push(ruleMark.range(from, to));
  }
  ranges.sort((a, b) => a.from - b.from || a.value.startSide - b.value.startSide);
  view.dispatch({ effects: setMarks.of(Decoration.set(ranges, true)) });
}

/** Moves the cursor to a line and scrolls it into the middle of the view. */
export function revealLine(view, line, column = 1) {
  const pos = offsetOf(view.state.doc, line, column);
  view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
  view.focus();
}
