#!/usr/bin/env bash
# Runs the Python tests (test/python/) against the generated clients in generated/python/
# (no pip install: they are put on PYTHONPATH). The tests start Prism mocks through npx.
# pytest's exit code 5 (no tests collected) is a failure.
#
# The tests run in a virtual environment, .tools/python-test-venv, made from the system Python
# with its site packages visible (pytest, pydantic, ...) plus whatever of the agentkit-client
# distribution's dependencies (generated/python/pyproject.toml) the system lacks, from the
# configured package index: aiohttp, for agentkit_client_async. It is made again when those
# dependencies change. PYTHON=/path/to/python runs the tests with that interpreter instead,
# which must already have them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
die() { echo "test-python: $*" >&2; exit 1; }
for pkg in agentkit_client agentkit_client_async opscore_client; do
  [ -d "generated/python/$pkg" ] || die "generated/python/$pkg is missing; run 'make generate'."
done
[ -f generated/python/pyproject.toml ] || die "generated/python/pyproject.toml is missing; run 'make generate'."

if [ -z "${PYTHON:-}" ]; then
  base="${BASE_PYTHON:-python3}"
  venv="$root/.tools/python-test-venv"
  # The distribution's dependencies, one a line (tomllib: Python 3.11+).
  deps="$("$base" -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' \
    generated/python/pyproject.toml)" || die "could not read the dependencies of generated/python/pyproject.toml with $base (needs Python 3.11+)"
  want="$("$base" --version 2>&1)"$'\n'"$deps"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.deps" 2>/dev/null)" != "$want" ]; then
    echo "test-python: preparing $venv (system packages + the wheel's missing dependencies)" >&2
    rm -rf "$venv"
    "$base" -m venv --system-site-packages "$venv" || die "could not create a virtual environment with '$base -m venv'"
    mapfile -t reqs <<<"$deps"
    # PIP_RETRIES: as in package-python.sh, an unreachable default index costs one retry, not five.
    PIP_RETRIES="${PIP_RETRIES:-1}" "$venv/bin/python" -m pip install --quiet "${reqs[@]}" ||
      die "could not install the wheel's dependencies (${reqs[*]}) into $venv from the package index"
    printf '%s' "$want" >"$venv/.deps"
  fi
  PYTHON="$venv/bin/python"
fi

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
