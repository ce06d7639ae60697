#!/usr/bin/env bash
# Install the wtt daemon as a user service: `wtt service install` (docs/daemon.md). Options are passed on
# (e.g. --manager nohup, --name NAME, --allow-gateway-tools).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "${WTT_NODE:-node}" "$ROOT/bin/wtt" service install "$@"
