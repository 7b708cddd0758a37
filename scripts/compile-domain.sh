#!/usr/bin/env bash
# Compile the estimation domain in place with mypyc (setup.py says what and why), for the virtualenv's Python:
#
#   scripts/compile-domain.sh .venv/bin/python
#
# FOOTPRINT_COMPILE=0 removes the compiled modules instead: the domain then runs as the plain Python it is.
# A missing C compiler or Python headers are installed from Debian when possible (scripts/apt-install.sh);
# when they cannot be had, the domain stays plain Python with a "skip:" line (slower, same answers) and
# tests/test_compiled.py fails under CI=true. A compiler error is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:?usage: scripts/compile-domain.sh PYTHON}

remove_compiled() { find service/domain -name '*.so' -delete; rm -rf build/mypyc-domain; }

if [ "${FOOTPRINT_COMPILE:-1}" = 0 ]; then
    remove_compiled
    echo "FOOTPRINT_COMPILE=0: the domain runs as plain Python"
    exit 0
fi

headers() { "$PY" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; }
scripts/apt-install.sh cc:gcc
headers || scripts/apt-install.sh python3-config:python3-dev
if ! command -v cc >/dev/null 2>&1 || ! headers; then
    remove_compiled
    echo "skip: no C compiler or Python headers for mypyc; the domain runs as plain Python (same answers, slower)"
    exit 0
fi
log=$(mktemp)
if ! "$PY" setup.py --quiet build_ext --inplace --build-temp build/mypyc-domain >"$log" 2>&1; then
    tail -40 "$log" >&2
    rm -f "$log"
    echo "compiling the domain with mypyc failed (above); FOOTPRINT_COMPILE=0 runs it as plain Python" >&2
    exit 1
fi
rm -f "$log"
# setuptools leaves the modules whose C did not change as they were: mark them all as built now, which is
# what tests/conftest.py compares with the sources' times.
find service/domain -name '*.so' -exec touch {} +
echo "compiled service/domain with mypyc"
