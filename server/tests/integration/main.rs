//! Integration tests against a real Docker engine and real SQLite files: one test binary,
//! modules by subject. Docker must be reachable (`.ci/run` starts it).
//!
//! Every test runs on a multi-thread runtime, so the server's tasks go on while a test's
//! cleanup blocks on the Docker CLI: the engine holds a container's lock while a copy into
//! it is under way, and a copy stalled with its runtime would make the cleanup wait forever.

mod accounts;
mod agent;
mod agent_governance;
mod agent_mcp;
mod agent_tools;
mod ai;
mod ai_features;
mod archive;
mod cli;
mod clone;
mod commands;
mod creation;
mod files;
mod files_http;
mod guard;
mod helpers;
mod http_api;
mod idle;
mod images;
mod killed;
mod kubernetes_cluster;
mod lifecycle;
mod limits;
mod live_updates;
mod memory_runtime;
mod observability;
mod preview;
mod revocation;
mod routes;
mod scripted_agent;
mod scripted_llm;
mod sharing;
mod shutdown;
mod ssh;
mod survive;
mod templates;
mod tenants;
mod terminal;
mod terminal_ws;
mod test_app;
mod tls;
mod tty;
mod usage;
