#!/usr/bin/env bash
# Regenerates generated/ from openapi/. Run from a directory holding openapi/ and the
# Redocly configs (the repository root, or check-generated's scratch copy of it).
# Usage: scripts/generate.sh   (node_modules is found through $AGENTKIT_ROOT or the script's repo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="${AGENTKIT_ROOT:-$here}"
bin="$root/node_modules/.bin"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

rm -rf generated/openapi generated/ts
mkdir -p generated/openapi generated/ts

# 1. Bundled specs: one file per API, used by the server's validator, Prism and the generators;
#    the JSON copies are what @agentkit/client ships (the SDK validates deliveries against them).
for api in agentkit opscore; do
  for ext in yaml json; do
    out=$("$bin/redocly" bundle "$api" --ext "$ext" -o "generated/openapi/$api.$ext" 2>&1) || { echo "$out" >&2; exit 1; }
  done
done

# 2. TypeScript types (paths, components and webhooks) with openapi-typescript.
out=$("$bin/openapi-typescript" --redocly openapi/typegen.redocly.yaml --default-non-nullable false 2>&1) || { echo "$out" >&2; exit 1; }

# 3. Python clients with openapi-generator (see scripts/generate-python.sh).
bash "$here/scripts/generate-python.sh"
