#!/usr/bin/env bash
# Runs the Python tests (test/python/) against the generated clients in generated/python/
# (no pip install: they are put on PYTHONPATH). The tests start Prism mocks through npx.
# pytest's exit code 5 (no tests collected) is a failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PYTHON="${PYTHON:-python3}"
for pkg in agentkit_client opscore_client; do
  [ -d "generated/python/$pkg" ] || { echo "test-python: generated/python/$pkg is missing; run 'make generate'." >&2; exit 1; }
done
export PYTHONPATH="$root/generated/python${PYTHONPATH:+:$PYTHONPATH}"
# Keep generated/ byte-identical to what the generator writes (check-generated diffs it).
export PYTHONDONTWRITEBYTECODE=1
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
set +e
"$PYTHON" -m pytest -p no:cacheprovider -q "$@" test/python
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test-python: pytest collected no tests in test/python; that is a failure." >&2
  exit 1
fi
exit "$rc"
