#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the /docs browser test (test/service/docs.test.ts).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is not at $chromium and apt-get is not available: install Chromium and set CHROMIUM_PATH." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "Installing Debian's chromium package for the /docs browser test..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
