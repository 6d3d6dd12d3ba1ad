#!/usr/bin/env bash
# The official SDKs against `ratesim serve` (issue 16, part 5).
#
# Installs pinned releases from the registries, reused when already there:
#   anthropic==$PY_VERSION from PyPI into target/sdk-venv/anthropic-$PY_VERSION
#   @anthropic-ai/sdk@$TS_VERSION from npm into target/sdk-node (only if
#   node and npm are installed; otherwise the TypeScript check is skipped
#   with a message)
# and runs scripts/serve_sdk_check.py, scripts/serve_fidelity.py (part 6:
# the same workload through the server and through the simulator) and
# scripts/serve_sdk_check.mjs, each of which starts `ratesim serve --port 0`.
# Network: PyPI and npm only. Needs Python >= 3.10 (set PYTHON to choose one).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

PY_VERSION=2.15.0
TS_VERSION=1.16.0

# shellcheck source=scripts/sdk_venv.sh
source scripts/sdk_venv.sh
target="${CARGO_TARGET_DIR:-target}"
venv=$(venv_for "$PY_VERSION")

cargo build --quiet --locked --bin ratesim
bin="$target/debug/ratesim"

status=0
echo "-- anthropic (Python) $PY_VERSION"
"$venv/bin/python" scripts/serve_sdk_check.py "$bin" || status=$?
echo "-- fidelity: the SDK through the server vs simulate --strategy sdk_default (docs/validation.md)"
"$venv/bin/python" scripts/serve_fidelity.py "$bin" 10 || status=$?

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    node_dir="$target/sdk-node"
    have=$(node -e "try{const p=require('$PWD/$node_dir/node_modules/@anthropic-ai/sdk/package.json');console.log(p.version)}catch(e){}" 2>/dev/null || true)
    if [[ $have != "$TS_VERSION" ]]; then
        echo "-- installing @anthropic-ai/sdk@$TS_VERSION into $node_dir" >&2
        mkdir -p "$node_dir"
        [[ -f $node_dir/package.json ]] || echo '{"name":"ratesim-sdk-check","private":true}' >"$node_dir/package.json"
        (cd "$node_dir" && npm install --silent --no-audit --no-fund "@anthropic-ai/sdk@$TS_VERSION") >&2
    fi
    echo "-- @anthropic-ai/sdk (TypeScript) $TS_VERSION"
    node scripts/serve_sdk_check.mjs "$bin" "$node_dir" || status=$?
else
    echo "-- node/npm not installed: skipping the TypeScript SDK check" >&2
fi
exit "$status"
