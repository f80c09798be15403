#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium (browser tests) and
# redis-server (cluster profile). Installed once with apt-get when missing; as root
# directly, otherwise through sudo when it is there. PostgreSQL 15 comes with the machine.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "system-deps: need ${missing[*]} (apt-get install -y ${missing[*]}), and no root or sudo to install them" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
    || { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; }
