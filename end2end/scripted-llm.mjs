// A scripted OpenAI-compatible model server for the browser tests (no model API is
// reachable here): it streams one answer with a code block, in small pieces, like real
// servers do. Usage: node scripted-llm.mjs PORT
import http from "node:http";

const port = Number(process.argv[2] ?? 3197);
const command = "```sh\necho assisted-''command\n```\nExplanation: prints a word.";
const answer = 'Here is a greeting:\n\n```python\nprint("hello from the model")\n```\n\nRun it with `python3`.';

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
      const wantsCommand = body.includes("You write shell commands");
      response.writeHead(200, { "content-type": "text/event-stream" });
      const text = wantsCommand ? command : answer;
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
