# Shared set-up for scripts/run and scripts/test: installs what a fresh machine lacks.
# Sourced, not executed. Every step checks first, so a second run is quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.11
# Must equal the wasm-bindgen version pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130

export PATH="$HOME/.cargo/bin:$ROOT/scripts/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"
  fi
}

# ensure_apt PACKAGE...: installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust_tools() {
  # wasm32 for the browser half; musl for the static terminal holder copied into workspaces.
  local target
  for target in wasm32-unknown-unknown "$(uname -m)-unknown-linux-musl"; do
    if ! rustup target list --installed | grep -qx "$target"; then
      say "adding the $target target"
      rustup target add "$target"
    fi
  done
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes 10-15 minutes, once)"
    # no_downloads: use the tools on PATH instead of fetching binaries at build time.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version \
      --features no_downloads
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lockfile pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# npm_install DIR: installs a folder's locked npm packages unless already there.
npm_install() {
  local dir="$ROOT/$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing npm packages in $1"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}

# The IDE's xterm.js and CodeMirror bundle (public/ide/), built from the locked npm
# packages in frontend/js; cargo-leptos then copies it into the site with the other assets.
build_ide_assets() {
  npm_install frontend/js
  say "bundling the IDE's JavaScript"
  (cd "$ROOT/frontend/js" && npm run --silent build)
}

# ensure_docker: a Docker engine that answers, installed from Debian and started when none
# does (by systemd where it runs, else in the background, logging to /tmp/dockerd.log). A
# DOCKER_HOST pointing elsewhere is left alone.
ensure_docker() {
  docker info >/dev/null 2>&1 && return
  [ -n "${DOCKER_HOST:-}" ] && die "no Docker engine answers at $DOCKER_HOST: start it, or unset DOCKER_HOST to use a local one."
  command -v dockerd >/dev/null 2>&1 || ensure_apt docker.io
  if ! as_root docker info >/dev/null 2>&1; then
    say "starting the Docker engine"
    if pgrep -x dockerd >/dev/null; then
      : # One is starting (or stopping) already: give it the same time.
    elif [ -d /run/systemd/system ]; then
      as_root systemctl start docker
    else
      as_root sh -c 'nohup dockerd >/tmp/dockerd.log 2>&1 &'
    fi
    for _ in $(seq 1 60); do
      as_root docker info >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  if ! as_root docker info >/dev/null 2>&1; then
    [ -f /tmp/dockerd.log ] && tail -n 20 /tmp/dockerd.log >&2
    die "the Docker engine did not start"
  fi
  docker info >/dev/null 2>&1 || die "the Docker engine runs, but $(id -un) may not use it: \
sudo usermod -aG docker $(id -un), sign in again, and run this again."
}

# restart_docker: stops the local Docker engine and starts it again the way ensure_docker
# does (the engine-restart test uses it; CI runs on a machine of its own).
restart_docker() {
  if [ -d /run/systemd/system ]; then
    as_root systemctl restart docker
  else
    as_root pkill -x dockerd || true
    for _ in $(seq 1 60); do pgrep -x dockerd >/dev/null || break; sleep 0.5; done
    as_root sh -c 'nohup dockerd >>/tmp/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  die "the Docker engine did not come back"
}
