#!/usr/bin/env bash
# Regenerates into a scratch copy of the repository and fails on any difference from
# the committed generated/, printing the command that fixes it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$root"
cp -r openapi redocly.yaml "$scratch/"
for f in openapitools.json; do [ -e "$f" ] && cp -r "$f" "$scratch/"; done
(cd "$scratch" && AGENTKIT_ROOT="$root" bash "$root/scripts/generate.sh")
if ! diff -r -q -x __pycache__ "$root/generated" "$scratch/generated" >"$scratch/diff.txt" 2>&1; then
  echo "generated/ is out of date with openapi/:" >&2
  sed 's|'"$scratch"'|<fresh>|g; s|'"$root"'/||g' "$scratch/diff.txt" | head -n 20 >&2
  echo >&2
  echo "Run 'make generate' and commit generated/." >&2
  exit 1
fi
echo "generated/ matches openapi/."
