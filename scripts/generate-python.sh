#!/usr/bin/env bash
# Python clients: written by the Python-client work (see issue 2). Nothing yet.
set -euo pipefail
