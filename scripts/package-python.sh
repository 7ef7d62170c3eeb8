#!/usr/bin/env bash
# Builds the agentkit-client wheel (agentkit_client, agentkit_client_async; see
# generated/python/pyproject.toml) from generated/python into dist/python/, or into the directory
# given as the first argument, and prints the wheel's path as the last line of its output.
#
# Usage: scripts/package-python.sh [wheel-dir]     (PYTHON: the interpreter whose pip builds it)
#
# pip builds it in an isolated environment with the build backend (hatchling) from the configured
# package index; nothing is installed, and generated/ is left as it is. An earlier wheel of the
# same version in the directory is replaced.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
src="$root/generated/python"
out="${1:-$root/dist/python}"
die() { echo "package-python: $*" >&2; exit 1; }

[ -f "$src/pyproject.toml" ] || die "$src/pyproject.toml is missing; run 'make generate'."
for pkg in agentkit_client agentkit_client_async; do
  [ -f "$src/$pkg/__init__.py" ] || die "$src/$pkg is missing; run 'make generate'."
done
command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH (set PYTHON=/path/to/python3)"
"$PYTHON" -m pip --version >/dev/null 2>&1 || die "'$PYTHON -m pip' does not run; install pip for $PYTHON"

# The wheel's file name: the distribution name with '-' as '_', and its version.
read -r name version < <("$PYTHON" - "$src/pyproject.toml" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
name = re.search(r'^name = "([^"]+)"', text, re.M)
version = re.search(r'^version = "([^"]+)"', text, re.M)
if not (name and version):
    sys.exit("package-python: no name/version in " + sys.argv[1])
print(re.sub(r"[-_.]+", "_", name.group(1)).lower(), version.group(1))
EOF
) || die "could not read the name and version from $src/pyproject.toml"
wheel="$out/$name-$version-py3-none-any.whl"

mkdir -p "$out" || die "cannot create $out"
rm -f "$wheel"
# One retry per index lookup instead of pip's five with backoff: on a machine whose packages
# come from a local index, an unreachable default index otherwise costs seconds per package.
export PIP_RETRIES="${PIP_RETRIES:-1}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$PYTHON" -m pip wheel --no-deps --wheel-dir "$out" "$src" >"$log" 2>&1; then
  cat "$log" >&2
  die "pip could not build the wheel from $src (the build backend, hatchling, comes from the package index)"
fi
[ -f "$wheel" ] || { cat "$log" >&2; die "pip reported success but $wheel is not there"; }
echo "$wheel"
