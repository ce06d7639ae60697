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
OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
OC_ENTRY="$ROOT/.cache/openclaw/node_modules/openclaw/openclaw.mjs"
# shellcheck source=scripts/node24.sh
. "$ROOT/scripts/node24.sh"

now_ms() { date +%s%3N; }
log() { printf '[e2e] %s\n' "$*" >&2; }

# The gateway must run in a namespace with only loopback: check that one can be made before installing.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  log "cannot create a network namespace (needs root and iproute2): refusing to run the gateway on the host,"
  log "where its start-up lookups would leave this machine"
  exit 1
fi

ensure_node24
installed_oc="$(PATH="$N24_BIN:$PATH" node -p "try{require('$CACHE/openclaw/node_modules/openclaw/package.json').version}catch{''}")"
if [ ! -f "$OC_ENTRY" ] || [ "$installed_oc" != "$OPENCLAW_VERSION" ]; then
  log "installing openclaw@$OPENCLAW_VERSION into .cache/openclaw (with Node $NODE24_VERSION first on PATH)"
  t0=$(now_ms)
  PATH="$N24_BIN:$PATH" npm install --prefix "$CACHE/openclaw" --no-audit --no-fund --loglevel=error "openclaw@$OPENCLAW_VERSION"
  log "openclaw installed in $(( $(now_ms) - t0 )) ms"
fi

log "building dist/"
npm run --silent build

E2E_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/wtt-e2e-XXXXXX")"
NS="wtte2e-$$"
cleanup() {
  ip netns delete "$NS" 2>/dev/null || true
  rm -rf "$E2E_ROOT"
}
trap cleanup EXIT
SKILL="$E2E_ROOT/home/.openclaw/workspace/skills/wtt-skill"
clone_for_node24 "$SKILL"
install_node24_modules "$SKILL"

export OPENCLAW_E2E_NODE="$N24_BIN/node"
export OPENCLAW_E2E_ENTRY="$OC_ENTRY"
export OPENCLAW_E2E_LOG_DIR="${OPENCLAW_E2E_LOG_DIR:-$CACHE/e2e-logs}"
export OPENCLAW_E2E_ROOT="$E2E_ROOT"
export OPENCLAW_E2E_SKILL_COMMIT="$CLONED_SHA"
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
