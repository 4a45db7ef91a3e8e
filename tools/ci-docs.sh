#!/usr/bin/env bash
# Install the offline docs toolchain, build the site into _docs/ (+ README.md) and check it in headless Chromium.
# Usage (root on Debian with python3, pip and npm; no prompts): bash tools/ci-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

python3 -m pip install -q -r tools/requirements-docs.txt
# nbdev's doc links come from the installed package's `nbdev` entry point (seemore/_modidx.py)
python3 -c "import importlib.metadata as m; m.distribution('seemore')" 2>/dev/null || python3 -m pip install -q --no-deps -e .
# Debian's Chromium for the browser check (never `playwright install`: it downloads a browser); emoji font for screenshots
dpkg -s chromium fonts-noto-color-emoji >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }
MATHJAX_CACHE="${MATHJAX_CACHE:-$HOME/.cache/seemore-docs}"  # outside the repo
if [ ! -f "$MATHJAX_CACHE/node_modules/mathjax/es5/tex-mml-chtml.js" ]; then
  mkdir -p "$MATHJAX_CACHE" && npm install --prefix "$MATHJAX_CACHE" --no-audit --no-fund --silent mathjax@3.2.2
fi
export MATHJAX_DIR="$MATHJAX_CACHE/node_modules/mathjax/es5"

python3 tools/docs.py
python3 tools/check_docs.py
