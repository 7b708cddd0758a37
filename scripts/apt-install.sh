#!/usr/bin/env bash
# Install the Debian packages whose command is missing, with one `apt-get update` for all of them:
#
#   scripts/apt-install.sh COMMAND:PACKAGE ...      e.g. scripts/apt-install.sh nginx:nginx podman:podman
#
# As root, or through `sudo -n`. When a package cannot be installed it prints "skip: ..." and exits 0: the
# tests that need the tool then skip with the reason outside CI, and fail under CI=true (tests/conftest.py).
set -u

missing=()
for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    # Debian installs some of them in /usr/sbin, which is not on every user's PATH.
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "skip: ${missing[*]} not installed, and installing needs root (apt-get install ${missing[*]})"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "skip: ${missing[*]} not installed, and there is no apt-get to install them"
    exit 0
fi

log=${APT_INSTALL_LOG:-/tmp/footprint-apt-install.log}
apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" >>"$log" 2>&1; }
: >"$log"
if ! apt update; then
    echo "skip: apt-get update failed (see $log); not installed: ${missing[*]}"
    exit 0
fi
if apt install -y "${missing[@]}"; then
    echo "installed with apt-get: ${missing[*]}"
    exit 0
fi
# One package that cannot be installed must not keep the others out.
for pkg in "${missing[@]}"; do
    if apt install -y "$pkg"; then
        echo "installed with apt-get: $pkg"
    else
        echo "skip: could not install $pkg with apt-get (see $log)"
    fi
done
exit 0
