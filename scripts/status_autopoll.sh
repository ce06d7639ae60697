#!/usr/bin/env bash
# Status the wtt daemon as a user service: `wtt service status` (docs/daemon.md). Options are passed on
# (e.g. --manager nohup, --name NAME).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "${WTT_NODE:-node}" "$ROOT/bin/wtt" service status "$@"
