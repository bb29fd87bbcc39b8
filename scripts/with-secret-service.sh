#!/usr/bin/env bash
# Usage: scripts/with-secret-service.sh COMMAND [ARG...]
#
# Runs COMMAND on a private D-Bus session bus served by its own
# gnome-keyring-daemon, so that tests reach a real Secret Service without a
# desktop session:
#
#   scripts/with-secret-service.sh go test -race -v ./engine/vault/
#
# COMMAND runs with DBUS_SESSION_BUS_ADDRESS set to the private bus and
# PORTALS_TEST_SECRET_SERVICE=1, which turns the Secret Service tests from
# skipped into required. The script exits with COMMAND's exit status, with 1
# when the Secret Service cannot be set up, and with 2 when COMMAND is missing.
#
# Isolation: the bus has no service files, so nothing is started by D-Bus
# activation, and gnome-keyring keeps its keyrings and control socket in a
# temporary directory that is removed at exit. The user's own bus and
# keyrings are never touched.
#
# Needs the Debian packages dbus (which brings dbus-run-session and
# dbus-send), gnome-keyring and libsecret-tools (secret-tool, which the tests
# use to check the keyring without go-keyring).
set -euo pipefail

script_name=$(basename "$0")

fail() {
	echo "$script_name: $*" >&2
	exit 1
}

check_tools() {
	local tool
	for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
		command -v "$tool" >/dev/null ||
			fail "$tool not found: install the Debian packages dbus, gnome-keyring and libsecret-tools"
	done
}

# write_bus_config writes a session bus configuration like Debian's
# session.conf but without service directories, so D-Bus activation cannot
# start a second, unisolated gnome-keyring-daemon or a GUI prompter.
write_bus_config() {
	local work_dir=$1
	cat >"$work_dir/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$work_dir</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
}

# start_keyring starts gnome-keyring-daemon in the foreground of a background
# job of this shell and stores its process id in keyring_pid.
#
# The daemon reads the login keyring password from stdin. A zero-length
# password means "no password" to gnome-keyring 42 and then no login
# collection is created, so the password is a single newline: the closest to
# an empty password that creates and unlocks the login collection.
start_keyring() {
	local work_dir=$1
	mkdir -m 700 "$work_dir/data" "$work_dir/runtime"
	printf '\n' |
		XDG_DATA_HOME="$work_dir/data" XDG_RUNTIME_DIR="$work_dir/runtime" \
			gnome-keyring-daemon --foreground --unlock --components=secrets \
			>"$work_dir/gnome-keyring.log" 2>&1 &
	keyring_pid=$!
}

bus_call() {
	dbus-send --session --print-reply "$@" 2>&1
}

# wait_for_secret_service waits up to 10 seconds for the daemon to own
# org.freedesktop.secrets on the bus.
wait_for_secret_service() {
	local keyring_pid=$1 _
	for _ in $(seq 100); do
		if bus_call --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets |
			grep -q 'boolean true'; then
			return 0
		fi
		kill -0 "$keyring_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# check_login_collection checks that the collection go-keyring v0.2.6 writes
# to, /org/freedesktop/secrets/collection/login, exists and is unlocked.
check_login_collection() {
	local reply
	reply=$(bus_call --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
		org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Locked) || {
		echo "$reply" >&2
		return 1
	}
	grep -q 'boolean false' <<<"$reply" || {
		echo "the login collection is locked: $reply" >&2
		return 1
	}
}

# run_inside_session runs on the private bus: it starts the Secret Service,
# runs the command and stops the daemon again.
run_inside_session() {
	local work_dir=$1
	shift

	local keyring_pid
	start_keyring "$work_dir"

	if ! wait_for_secret_service "$keyring_pid"; then
		cat "$work_dir/gnome-keyring.log" >&2
		kill "$keyring_pid" 2>/dev/null || true
		fail "gnome-keyring-daemon (pid $keyring_pid) did not provide org.freedesktop.secrets within 10 seconds; its output is above"
	fi
	if ! check_login_collection; then
		cat "$work_dir/gnome-keyring.log" >&2
		kill "$keyring_pid"
		fail "gnome-keyring-daemon has no unlocked login collection; its output is above"
	fi

	export PORTALS_TEST_SECRET_SERVICE=1
	local status=0
	"$@" || status=$?

	kill "$keyring_pid" 2>/dev/null || true
	wait "$keyring_pid" 2>/dev/null || true
	return "$status"
}

main() {
	if [ "${1:-}" = "--inside-session" ]; then
		shift
		run_inside_session "$@"
		return
	fi
	if [ $# -eq 0 ]; then
		echo "usage: $script_name COMMAND [ARG...]" >&2
		exit 2
	fi
	check_tools

	local work_dir
	work_dir=$(mktemp -d "${TMPDIR:-/tmp}/portals-secret-service.XXXXXX")
	trap 'rm -rf "$work_dir"' EXIT
	write_bus_config "$work_dir"

	local status=0
	dbus-run-session --config-file="$work_dir/session.conf" -- \
		"$BASH" "$0" --inside-session "$work_dir" "$@" || status=$?
	exit "$status"
}

main "$@"
