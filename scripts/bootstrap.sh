#!/usr/bin/env bash
# Prepare this clone: Debian packages, the .venv and the project installed into it.
#
#   scripts/bootstrap.sh [--services]
#
# Debian packages: installed with apt-get when missing and running as root
# (apt-get update runs once, only when something is missing); otherwise a
# message names the missing packages. --services adds postgresql and redis-server.
# Python: .venv is created with python3.11 when missing; `pip install -e .[dev]`
# runs only when pyproject.toml is newer than .venv/.govmedia-installed.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(fonts-noto-cjk chromium poppler-utils gettext)
if [[ "${1:-}" == "--services" ]]; then
    PACKAGES+=(postgresql redis-server)
fi

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
else
    echo "bootstrap: no dpkg on this machine; make sure these are installed: ${PACKAGES[*]}" >&2
fi

if ((${#missing[@]})); then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q "${missing[@]}"
    else
        echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
        echo "bootstrap: install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
        if [[ "${1:-}" == "--services" ]]; then
            exit 1
        fi
    fi
fi

PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))'; then
            PYTHON="$candidate"
            break
        fi
    done
fi
if [[ ! -x .venv/bin/python ]]; then
    if [[ -z "$PYTHON" ]]; then
        echo "bootstrap: Python 3.11 or 3.12 is needed to create .venv (set PYTHON=...)" >&2
        exit 1
    fi
    echo "bootstrap: creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi

STAMP=.venv/.govmedia-installed
if [[ ! -f "$STAMP" || pyproject.toml -nt "$STAMP" ]]; then
    echo "bootstrap: installing the project into .venv (pip install -e '.[dev]')"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$STAMP"
fi
