#!/usr/bin/env bash
# Usage: scripts/install-deps.sh
#
# Installs the Debian packages that `make test` needs when any is missing.
# As root it runs apt-get; as any other user it names the missing packages
# and exits 1, because installing them needs root.
set -euo pipefail

# Package, and a command it provides that shows it is installed.
packages=(
	"dbus:dbus-run-session"
	"dbus-x11:dbus-launch"
	"gnome-keyring:gnome-keyring-daemon"
	"libsecret-tools:secret-tool"
)

missing=()
for entry in "${packages[@]}"; do
	package=${entry%%:*}
	command=${entry#*:}
	command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages: ${missing[*]}" >&2
	echo "install-deps: run as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
