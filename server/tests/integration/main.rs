//! Integration tests against a real Docker engine and real SQLite files: one test binary,
//! modules by subject. Docker must be reachable (`.ci/run` starts it).

mod accounts;
mod agent;
mod agent_governance;
mod agent_mcp;
mod agent_tools;
mod ai;
mod ai_features;
mod archive;
mod clone;
mod commands;
mod files;
mod files_http;
mod guard;
mod helpers;
mod http_api;
mod idle;
mod images;
mod killed;
mod lifecycle;
mod limits;
mod live_updates;
mod observability;
mod revocation;
mod routes;
mod scripted_agent;
mod scripted_llm;
mod sharing;
mod shutdown;
mod survive;
mod terminal;
mod terminal_ws;
mod test_app;
mod tls;
mod tty;
mod usage;
