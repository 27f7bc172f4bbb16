// A scripted OpenAI-compatible model server for the browser tests (no model API is
// reachable here): it streams its answers in small pieces, like real servers do: a chat
// answer with a code block, a command for the terminal assistant, code action results,
// and an agent's tool calls.
// Usage: node scripted-llm.mjs PORT
import http from "node:http";

const port = Number(process.argv[2] ?? 3197);
const command = "```sh\necho assisted-''command\n```\nExplanation: prints a word.";
// Code actions: the numbers file of the browser test with two lines changed.
const edited = "```python\none = 1\ntwo = 22\nthree = 3\nfour = 4\nfive = 5\nsix = 66\nseven = 7\n```";
const explanation = "This file **assigns** seven numbers.";
const answer = 'Here is a greeting:\n\n```python\nprint("hello from the model")\n```\n\nRun it with `python3`.';
// What a prompt-injected answer would do: make the page fetch an address of the model's
// choosing, as a Markdown image and as raw HTML.
const picture = 'Here it is: ![the picture](/api/health?leak=markdown) and <img src="/api/health?leak=html">.';

// The agent's script, in the text protocol (the probe finds no native tool calls): write a
// script, run it, finish. The step is the number of results the conversation holds.
const agentSteps = [
  '<tool name="write_file">\n<path>greet.sh</path>\n<text>\necho "hello from the agent"\n</text>\n',
  '<tool name="run_command">\n<command>sh greet.sh</command>\n',
  '<tool name="finish">\n<summary>greet.sh prints a greeting</summary>\n',
];

function agentReply(request) {
  const results = request.messages.filter(
    (m) => m.role === "user" && typeof m.content === "string" && m.content.startsWith("Result of "),
  ).length;
  return `Step ${results + 1}.\n${agentSteps[Math.min(results, agentSteps.length - 1)]}`;
}

function chunk(content, finish = null) {
  const body = { object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] };
  return `data: ${JSON.stringify(body)}\n\n`;
}

http
  .createServer((request, response) => {
    if (request.method === "GET" && request.url === "/v1/models") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ data: [{ id: "scripted" }] }));
      return;
    }
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      response.writeHead(404).end();
      return;
    }
    let body = "";
    request.on("data", (data) => { body += data; });
    request.on("end", () => {
      // The terminal assistant asks for a command; everything else gets the chat answer.
      let text = answer;
      if (body.includes("You are a software agent")) text = agentReply(JSON.parse(body));
      else if (body.includes("You write shell commands")) text = command;
      else if (body.includes("Explain what this code does")) text = explanation;
      else if (body.includes("You edit code in the file")) text = edited;
      else if (body.includes("Show me a picture")) text = picture;
      response.writeHead(200, { "content-type": "text/event-stream" });
      const pieces = text.match(/[\s\S]{1,6}/g).map((p) => chunk(p));
      pieces.push(chunk("", "stop"), "data: [DONE]\n\n");
      let next = 0;
      const timer = setInterval(() => {
        if (next === pieces.length) {
          clearInterval(timer);
          response.end();
          return;
        }
        response.write(pieces[next++]);
      }, 15);
      response.on("close", () => clearInterval(timer));
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`scripted model on ${port}`));
