#!/usr/bin/env bash
# Usage: scripts/install-deps.sh
#
# Installs the Debian packages that `make test` needs when any is missing.
# As root it runs apt-get; as any other user it names the missing packages
# and exits 1, because installing them needs root.
set -euo pipefail

# Package, and a command it provides that shows it is installed: a name
# looked up on PATH, or an absolute path for programs outside a user's PATH.
packages=(
	# The vault tests: a real Secret Service on a private D-Bus bus.
	"dbus:dbus-run-session"
	"dbus-x11:dbus-launch"
	"gnome-keyring:gnome-keyring-daemon"
	"libsecret-tools:secret-tool"
	# Release packaging tests (packaging/pipeline): xorriso builds and lists
	# the DMG's file system, dmg2img and 7zip read the DMG independently,
	# ruby checks the cask's syntax.
	"xorriso:xorriso"
	"dmg2img:dmg2img"
	"7zip:7zz"
	"ruby:ruby"
	# The portal tests run real clients and servers through portals.
	"postgresql:/usr/lib/postgresql/15/bin/initdb"
	"postgresql-client:psql"
	"curl:curl"
	"socat:socat"
	"iperf3:iperf3"
	"netcat-openbsd:nc"
	"openssh-server:/usr/sbin/sshd"
	"openssh-client:ssh"
	"nftables:/usr/sbin/nft"
	"iproute2:/usr/sbin/ip"
	"util-linux:/usr/sbin/runuser"
)

installed() {
	case $1 in
	/*) [ -x "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

missing=()
for entry in "${packages[@]}"; do
	package=${entry%%:*}
	command=${entry#*:}
	installed "$command" || missing+=("$package")
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
