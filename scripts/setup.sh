#!/usr/bin/env bash
# Makes a checkout ready to run and test; `make run` and `make test` call it first.
# Idempotent and quick when nothing is missing; it does only what is missing or stale:
#   1. npm dependencies   npm ci when node_modules is missing or package-lock.json changed
#                         (install scripts always run: argon2 is compiled at install)
#   2. nats-server        Debian package `nats-server`, installed with apt-get when we may
#   3. generated code     npm run generate when libs/proto/gen, web/src/api/gen or build/flix.binpb is missing
#                         or anything under proto/ (or the buf config) is newer
#   4. web app            npm run build -w @flix/web (vite build) when web/dist/index.html is missing,
#                         dependencies were installed, or anything under web/src, web/public,
#                         web/index.html or web/vite.config.ts is newer; FLIX_SKIP_WEB_BUILD=1 skips it
#   5. chromium           with --browser (make test): Debian's chromium when /usr/bin/chromium is missing
# Progress goes to stderr; stdout stays empty. Works without a tty (CI=true).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'setup: %s\n' "$*" >&2; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  exit 1
}

# --- 0. node and npm -------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20.11 or newer (with npm 11)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm 11 (npm install -g npm@11)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)' ||
  die "Node.js $(node --version) is too old: Flix needs 20.11 or newer"

# Two callers at once (make run and make test side by side) must not install or generate over
# each other: take a lock for the rest of the script (released when it exits).
if command -v flock >/dev/null 2>&1; then
  mkdir -p build
  exec 9>build/.setup.lock
  flock 9
fi

# --- 1. npm dependencies ---------------------------------------------------------------------
installed=0
deps_stale() {
  [[ -d node_modules && -f node_modules/.package-lock.json ]] || return 0
  if [[ -f package-lock.json ]]; then
    [[ package-lock.json -nt node_modules/.package-lock.json ]] && return 0
  else
    [[ package.json -nt node_modules/.package-lock.json ]] && return 0
  fi
  return 1
}

if deps_stale; then
  if [[ -f package-lock.json ]]; then
    log "installing npm dependencies (npm ci; compiles argon2)"
    if ! npm ci --no-audit --no-fund >&2; then
      # npm ci refuses a lockfile that lacks optional platform packages the registry did not
      # serve when it was written (e.g. @bufbuild/buf-darwin-*); npm install keeps the locked
      # versions and fills the gap.
      log "npm ci failed; retrying with npm install"
      npm install --no-audit --no-fund >&2
    fi
  else
    log "installing npm dependencies (npm install: no package-lock.json)"
    npm install --no-audit --no-fund >&2
  fi
  # npm may write package-lock.json after its hidden lockfile: mark the install as the newer.
  touch node_modules/.package-lock.json
  installed=1
fi

# argon2 must be compiled here: its bundled prebuild crashes Node 20. A tree installed with
# install scripts turned off has no compiled addon; build it rather than fail at the first login.
if [[ -d node_modules/argon2 && ! -f node_modules/argon2/build/Release/argon2.node ]]; then
  log "argon2 was not compiled at install; running npm rebuild argon2"
  npm rebuild argon2 >&2
fi

# --- 2. nats-server --------------------------------------------------------------------------
nats_ok() {
  if [[ -n "${NATS_SERVER_BIN:-}" ]]; then
    [[ -x "${NATS_SERVER_BIN}" ]] || die "NATS_SERVER_BIN=${NATS_SERVER_BIN} is not an executable file"
    return 0
  fi
  command -v nats-server >/dev/null 2>&1 && return 0
  # Debian installs it as /usr/sbin/nats-server, which is not on a regular user's PATH.
  local dir
  for dir in ${FLIX_SETUP_SBIN_DIRS:-/usr/sbin /usr/local/sbin}; do
    if [[ -x "$dir/nats-server" ]]; then
      die "nats-server is installed at $dir/nats-server but $dir is not on PATH: run
  export PATH=\"\$PATH:$dir\"      (or: export NATS_SERVER_BIN=$dir/nats-server)"
    fi
  done
  return 1
}

# How Debian packages get installed here: as root, or through password-less sudo; else "none".
apt_runner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    echo ""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "sudo -n"
  else
    echo none
  fi
}

# apt_install <what it is for> <package>...: installs Debian packages, or says how to.
apt_install() {
  local why="$1"
  shift
  local runner
  runner="$(apt_runner)"
  if command -v apt-get >/dev/null 2>&1 && [[ "$runner" != none ]]; then
    log "installing $why (apt-get install $*)"
    export DEBIAN_FRONTEND=noninteractive
    $runner apt-get update -qq >&2
    $runner apt-get install -y -qq --no-install-recommends "$@" >&2
  elif command -v apt-get >/dev/null 2>&1; then
    die "$why not found. Install it as root, then run this again:
  sudo apt-get update && sudo apt-get install -y $*"
  else
    return 1
  fi
}

if ! nats_ok; then
  if apt_install nats-server nats-server; then
    nats_ok || die "apt-get installed nats-server but it is not on PATH"
  else
    die "nats-server not found and apt-get is not available. Install NATS server 2.9 or newer
(https://docs.nats.io/running-a-nats-service/introduction/installation; e.g. brew install nats-server)
and put nats-server on PATH or export NATS_SERVER_BIN=/path/to/nats-server"
  fi
fi

# --- 3. generated protobuf code and descriptor set -------------------------------------------
generate_stale() {
  [[ "$installed" -eq 1 ]] && return 0
  [[ -d libs/proto/gen && -n "$(ls -A libs/proto/gen)" ]] || return 0
  [[ -d web/src/api/gen && -n "$(ls -A web/src/api/gen)" ]] || return 0
  [[ -f build/flix.binpb ]] || return 0
  # Directories are listed too, so a deleted .proto (its folder's mtime changes) also counts.
  [[ -n "$(find proto buf.yaml buf.gen.yaml buf.gen.web.yaml scripts/generate.mjs -newer build/flix.binpb -print -quit)" ]] && return 0
  return 1
}

if generate_stale; then
  log "generating protobuf code (npm run generate)"
  npm run --silent generate >&2
fi

# --- 4. the web app (web/dist, served through the gateway) ------------------------------------
# After step 3: the app's API types (web/src/api/gen) are generated, and a regeneration makes
# them newer than the build, so the app is rebuilt too.
web_stale() {
  [[ "$installed" -eq 1 ]] && return 0
  [[ -f web/dist/index.html ]] || return 0
  local sources=()
  for path in web/src web/public web/index.html web/vite.config.ts; do
    [[ -e "$path" ]] && sources+=("$path")
  done
  # Directories are listed too, so a deleted file (its folder's mtime changes) also counts.
  [[ ${#sources[@]} -gt 0 && -n "$(find "${sources[@]}" -newer web/dist/index.html -print -quit)" ]] && return 0
  return 1
}

if [[ -f web/package.json && -f web/index.html ]]; then
  if [[ -n "${FLIX_SKIP_WEB_BUILD:-}" ]]; then
    log "FLIX_SKIP_WEB_BUILD is set: not building the web app"
  elif web_stale; then
    log "building the web app (npm run build -w @flix/web)"
    npm run --silent build --workspace @flix/web >&2 ||
      die "building the web app failed (npm run build -w @flix/web, output above); fix it, or set FLIX_SKIP_WEB_BUILD=1 to run without it"
  fi
fi

# --- 5. a browser for the web app's tests (make test only: scripts/setup.sh --browser) --------
# Debian's Chromium, driven by playwright-core: Playwright's own browser download cannot work on
# a machine that reaches only the package registries.
if [[ " $* " == *" --browser "* ]]; then
  chromium_bin="${FLIX_CHROMIUM:-/usr/bin/chromium}"
  if [[ ! -x "$chromium_bin" ]]; then
    if [[ -n "${FLIX_CHROMIUM:-}" ]]; then
      die "FLIX_CHROMIUM=$FLIX_CHROMIUM is not an executable file"
    fi
    apt_install "Chromium (for the browser tests)" chromium fonts-dejavu-core ||
      die "Chromium not found at /usr/bin/chromium and apt-get is not available: install Chromium and export FLIX_CHROMIUM=/path/to/chromium"
    [[ -x "$chromium_bin" ]] || die "apt-get installed chromium but $chromium_bin is missing"
  fi
fi

log "ready"
