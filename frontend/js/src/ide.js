// The IDE's JavaScript components, exposed as `window.AiCockpitIde` for the WASM side
// (see app/src/components/ide/js.rs). The WASM side owns the WebSocket and all state; this
// file only wraps xterm.js, CodeMirror and the Markdown of AI answers behind a few small
// functions.

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
import { highlightCode, classHighlighter } from "@lezer/highlight";
import { unifiedMergeView } from "@codemirror/merge";
import { Marked } from "marked";
import DOMPurify from "dompurify";

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
  // The terminal last used is the one whose output the AI panel can attach.
  parent.addEventListener("focusin", () => { lastTerminal = term; });
  lastTerminal ??= term;
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
    dispose: () => {
      if (lastTerminal === term) lastTerminal = null;
      observer.disconnect();
      term.dispose();
    },
  };
}

let lastTerminal = null;

// The last `maxLines` lines of the terminal last used, as plain text.
function terminalText(maxLines) {
  if (!lastTerminal) return "";
  const buffer = lastTerminal.buffer.active;
  const lines = [];
  for (let i = Math.max(0, buffer.length - maxLines); i < buffer.length; i++) {
    lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
  }
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines.join("\n");
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
  // The editor last used is where "Insert at cursor" goes.
  view.dom.addEventListener("focusin", () => { lastEditor = view; });
  lastEditor = view;
  return {
    text: () => view.state.doc.toString(),
    setText: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
    focus: () => view.focus(),
    // [before, selected, after]: the text cut at the main selection.
    selectionParts: () => {
      const { from, to } = view.state.selection.main;
      const doc = view.state.doc.toString();
      return [doc.slice(0, from), doc.slice(from, to), doc.slice(to)];
    },
    dispose: () => {
      if (lastEditor === view) lastEditor = null;
      view.destroy();
    },
  };
}

// A proposed version of a file beside the current one, as a diff whose hunks are accepted
// or rejected one by one (rejecting puts the current text back). `text()` is the result.
function createReview(parent, path, original, proposed) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: proposed,
      extensions: [
        basicSetup,
        languageFor(path),
        prefersDark() ? oneDark : [],
        unifiedMergeView({ original, mergeControls: true, gutter: true }),
        EditorView.contentAttributes.of({ "aria-label": `Proposed changes to ${path}` }),
      ],
    }),
  });
  return { text: () => view.state.doc.toString(), dispose: () => view.destroy() };
}

let lastEditor = null;

// Replaces the selection of the editor last used with `text`, as one undo step.
function insertIntoEditor(text) {
  if (!lastEditor) return false;
  lastEditor.dispatch(lastEditor.state.replaceSelection(text));
  lastEditor.focus();
  return true;
}

function editorSelection() {
  if (!lastEditor) return "";
  const { from, to } = lastEditor.state.selection.main;
  return lastEditor.state.sliceDoc(from, to);
}

// ---- AI answers -----------------------------------------------------------------------

const fenceAliases = {
  rust: "rs", python: "py", javascript: "js", typescript: "ts", golang: "go", "c++": "cpp",
  shell: "sh", console: "sh", zsh: "sh", shellscript: "sh", yml: "yaml", jsonc: "json",
};

const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Code highlighted with the editor's own parsers, as `tok-*` classes.
function highlighted(code, lang) {
  const key = (lang ?? "").toLowerCase().split(/\s/)[0];
  const make = key === "dockerfile" ? () => StreamLanguage.define(dockerFile) : byExtension[fenceAliases[key] ?? key];
  const language = make?.();
  const parser = language?.language?.parser ?? language?.parser;
  if (!parser) return escapeHtml(code);
  let html = "";
  highlightCode(code, parser.parse(code), classHighlighter,
    (text, classes) => { html += classes ? `<span class="${classes}">${escapeHtml(text)}</span>` : escapeHtml(text); },
    () => { html += "\n"; });
  return html;
}

// An image in an answer becomes a link to it: fetching it would send a request wherever a
// (prompt-injected) model pointed — a share link, a workspace's server — with nobody asking.
function imageAsLink(href, text) {
  const label = escapeHtml(text || href || "image");
  return `<a class="answer-image" href="${escapeHtml(href ?? "")}" rel="noopener noreferrer nofollow" target="_blank">🖼 ${label}</a>`;
}

const answerMarkdown = new Marked({
  gfm: true,
  renderer: {
    code({ text, lang }) {
      const language = escapeHtml((lang ?? "").split(/\s/)[0]);
      return `<pre class="code-block" data-language="${language}"><code>${highlighted(text, lang)}</code></pre>`;
    },
    image({ href, text }) {
      return imageAsLink(href, text);
    },
  },
});

// Nothing in an answer loads anything by itself: no images (in HTML either), media,
// frames or styles (CSS can fetch too).
const ANSWER_POLICY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["img", "picture", "source", "video", "audio", "iframe", "object", "embed", "image", "svg", "math", "link", "style", "form", "input"],
  FORBID_ATTR: ["style", "srcset", "background", "poster", "formaction"],
};

// Renders a model's Markdown into `element`, sanitised (the model's text is not trusted),
// with Copy and, when `canInsert`, "Insert at cursor" on each code block.
function renderAnswer(element, markdown, canInsert) {
  element.innerHTML = DOMPurify.sanitize(answerMarkdown.parse(markdown), ANSWER_POLICY);
  for (const pre of element.querySelectorAll("pre.code-block")) {
    const code = pre.querySelector("code")?.textContent ?? "";
    const bar = document.createElement("div");
    bar.className = "code-actions";
    const button = (label, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", () => {
        const done = action();
        b.textContent = done ? "Done" : "Open a file first";
        setTimeout(() => { b.textContent = label; }, 1500);
      });
      bar.append(b);
    };
    button("Copy", () => { navigator.clipboard?.writeText(code); return true; });
    if (canInsert) button("Insert at cursor", () => insertIntoEditor(code));
    pre.before(bar);
  }
}

window.AiCockpitIde = {
  createTerminal, createEditor, createReview, terminalText, insertIntoEditor, editorSelection,
  renderAnswer,
};
