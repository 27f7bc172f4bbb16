// The IDE's two JavaScript components, exposed as `window.AiCockpitIde` for the WASM side
// (see app/src/components/ide/js.rs). The WASM side owns the WebSocket and all state; this
// file only wraps xterm.js and CodeMirror behind a few small functions.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

import { EditorView, basicSetup } from "codemirror";
import { EditorState, Compartment } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { StreamLanguage } from "@codemirror/language";
import { oneDark } from "@codemirror/theme-one-dark";
import { cpp } from "@codemirror/lang-cpp";
import { css } from "@codemirror/lang-css";
import { go } from "@codemirror/lang-go";
import { html } from "@codemirror/lang-html";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { markdown } from "@codemirror/lang-markdown";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import { sql } from "@codemirror/lang-sql";
import { xml } from "@codemirror/lang-xml";
import { yaml } from "@codemirror/lang-yaml";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { toml } from "@codemirror/legacy-modes/mode/toml";
import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";

const prefersDark = () => window.matchMedia("(prefers-color-scheme: dark)").matches;

// ---- Terminal -------------------------------------------------------------------------

const lightTheme = { background: "#ffffff", foreground: "#111827", cursor: "#111827", selectionBackground: "#bfdbfe" };
const darkTheme = { background: "#0b0d12", foreground: "#e5e7eb", cursor: "#e5e7eb", selectionBackground: "#334155" };

// onData(Uint8Array): keystrokes and pastes, UTF-8 encoded.
// onResize(cols, rows): the grid changed size (after fit()).
function createTerminal(parent, onData, onResize) {
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: prefersDark() ? darkTheme : lightTheme,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(parent);
  const encoder = new TextEncoder();
  term.onData((text) => onData(encoder.encode(text)));
  term.onBinary((text) => onData(Uint8Array.from(text, (c) => c.charCodeAt(0))));
  term.onResize(({ cols, rows }) => onResize(cols, rows));
  // Refit whenever the panel changes size; only visible terminals have a size to fit.
  const observer = new ResizeObserver(() => {
    if (parent.offsetWidth > 0 && parent.offsetHeight > 0) fit.fit();
  });
  observer.observe(parent);
  return {
    // Raw bytes from the server: xterm decodes UTF-8 across calls, so a character split
    // between two WebSocket frames still renders as one.
    write: (bytes) => term.write(bytes),
    // Clears screen and scrollback before a replay, so reattaching never shows output twice.
    reset: () => term.reset(),
    fit: () => { if (parent.offsetWidth > 0) fit.fit(); },
    focus: () => term.focus(),
    cols: () => term.cols,
    rows: () => term.rows,
    // The visible text, for tests and for copying.
    text: () => {
      const buffer = term.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
      return lines.join("\n");
    },
    dispose: () => { observer.disconnect(); term.dispose(); },
  };
}

// ---- Editor ---------------------------------------------------------------------------

const byExtension = {
  c: cpp, h: cpp, cc: cpp, cpp: cpp, hpp: cpp, cxx: cpp,
  css: css, scss: css, less: css,
  go: go,
  html: html, htm: html, vue: html, svelte: html,
  java: java, kt: java,
  js: javascript, mjs: javascript, cjs: javascript,
  jsx: () => javascript({ jsx: true }),
  ts: () => javascript({ typescript: true }),
  tsx: () => javascript({ jsx: true, typescript: true }),
  json: json,
  md: markdown, markdown: markdown,
  py: python,
  rs: rust,
  sql: sql,
  xml: xml, svg: xml,
  yaml: yaml, yml: yaml,
  sh: () => StreamLanguage.define(shell), bash: () => StreamLanguage.define(shell),
  toml: () => StreamLanguage.define(toml),
};

function languageFor(path) {
  const name = path.split("/").pop() ?? "";
  if (/^dockerfile/i.test(name)) return StreamLanguage.define(dockerFile);
  if (/^(\.bashrc|\.profile|\.bash_profile|makefile)$/i.test(name)) return StreamLanguage.define(shell);
  const dot = name.lastIndexOf(".");
  const make = dot > 0 ? byExtension[name.slice(dot + 1).toLowerCase()] : undefined;
  return make ? make() : [];
}

// onChange(): the document changed. onSave(): Ctrl/Cmd+S pressed.
function createEditor(parent, path, text, onChange, onSave) {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { onSave(); return true; } }, indentWithTab]),
        basicSetup,
        language.of(languageFor(path)),
        prefersDark() ? oneDark : [],
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(); }),
        EditorView.contentAttributes.of({ "aria-label": `Contents of ${path}` }),
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    setText: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
    focus: () => view.focus(),
    dispose: () => view.destroy(),
  };
}

window.AiCockpitIde = { createTerminal, createEditor };
