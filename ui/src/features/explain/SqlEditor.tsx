// CodeMirror with MySQL highlighting and completion of the live schema's tables and columns.
// It lives in a shadow root: there CodeMirror's generated styles go into a constructed
// stylesheet, which the window's CSP (no inline styles) allows, instead of a <style> tag.
import { useEffect, useRef } from "react";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { MySQL, sql } from "@codemirror/lang-sql";
import type { SchemaNames } from "../../bindings/SchemaNames";

type Props = {
  value: string;
  onChange: (text: string) => void;
  /** Ctrl/Cmd+Enter. */
  onRun: () => void;
  schema: SchemaNames | undefined;
};

// The app's colours reach into the shadow root through its CSS variables.
const theme = EditorView.theme({
  "&": { minHeight: "120px", maxHeight: "320px", fontSize: "13px", color: "var(--text)", backgroundColor: "var(--panel)", borderRadius: "8px" },
  "&.cm-focused": { outline: "2px solid var(--accent)", outlineOffset: "-1px" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "Noto Sans Mono", monospace', minHeight: "120px" },
  ".cm-content": { caretColor: "var(--text)", padding: "8px 0" },
  ".cm-placeholder": { color: "var(--muted)" },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--text)", border: "1px solid var(--line)" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "var(--accent)", color: "var(--accent-text)" },
});

function sqlFor(schema: SchemaNames | undefined) {
  const tables: Record<string, string[]> = {};
  for (const t of schema?.tables ?? []) tables[t.name] = t.columns;
  return sql({ dialect: MySQL, schema: tables, upperCaseKeywords: true });
}

export function SqlEditor({ value, onChange, onRun, schema }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest callbacks, read by the editor's handlers without rebuilding it.
  const latest = useRef({ onChange, onRun });
  useEffect(() => {
    latest.current = { onChange, onRun };
  });

  // Built once; the schema for completion is swapped in through a compartment, so the
  // editor (its text, undo history and focus) survives the schema arriving.
  const language = useRef(new Compartment());
  useEffect(() => {
    if (!host.current) return;
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: "open" });
    const editor = new EditorView({
      parent: shadow,
      root: shadow,
      state: EditorState.create({
        doc: value,
        extensions: [
          Prec.highest(
            keymap.of([
              {
                key: "Mod-Enter",
                run: () => {
                  latest.current.onRun();
                  return true;
                },
              },
            ]),
          ),
          history(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle),
          language.current.of(sqlFor(undefined)),
          autocompletion(),
          keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          placeholder("SELECT … — Ctrl+Enter explains"),
          EditorView.lineWrapping,
          theme,
          EditorView.contentAttributes.of({ "aria-label": "SQL statement", "data-testid": "sql-editor" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
    // The initial text only; later changes arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(sqlFor(schema)) });
  }, [schema]);

  // Text set from outside (a hot query, history, a rewrite) replaces the document.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div className="sql-editor" ref={host} />;
}
