#!/bin/bash
# run-demo.sh BINDIR: `make run`.  Creates the demo instance ./var/demo with
# `postern init` when it does not exist yet, adds demo@example.test with a
# random password (printed, and kept in var/demo/demo-password, mode 0600),
# then runs every service in the foreground with `postern run` (Ctrl-C
# stops it).  Works as root (service users, privilege drops) and as an
# ordinary user (everything runs as that user).
set -eu
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
DEMO=$(pwd)/var/demo
USER_NAME=demo@example.test

# As root the service users must be able to exec the programs and reach
# the instance: every directory above them needs o+x.  A checkout under a
# 0700 home fails that, so the programs are copied into a 0755 tree.
traversable() {
	local d=$1
	while [ "$d" != / ]; do
		if [ -d "$d" ]; then
			[ $(( 0$(stat -c %a "$d") & 1 )) -eq 1 ] || return 1
		fi
		d=$(dirname "$d")
	done
}
POSTERN=$BIN/postern
if [ "$(id -u)" = 0 ] && ! traversable "$BIN"; then
	PREFIX=$(mktemp -d /var/tmp/postern-demo.XXXXXX)
	chmod 0755 "$PREFIX"
	install -d -m 0755 "$PREFIX/sbin" "$PREFIX/libexec/postern"
	install -m 0755 "$BIN/postern" "$PREFIX/sbin/postern"
	for p in "$BIN"/postern-*; do
		[ -x "$p" ] && install -m 0755 "$p" "$PREFIX/libexec/postern/"
	done
	POSTERN=$PREFIX/sbin/postern
	echo "postern: $BIN is not reachable by the service users; running a copy in $PREFIX"
	trap 'rm -rf "$PREFIX"' EXIT
fi
if [ "$(id -u)" = 0 ] && ! traversable "$(dirname "$DEMO")"; then
	echo "postern: warning: $(dirname "$DEMO") is not reachable by the service users (a directory above it lacks o+x); sessions will fail" >&2
fi

if [ ! -e "$DEMO/etc/postern.conf" ]; then
	mkdir -p "$(dirname "$DEMO")"
	"$POSTERN" init "$DEMO" --domain example.test
	PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
	printf '%s\n' "$PASSWORD" | "$POSTERN" user add "$DEMO" "$USER_NAME"
	( umask 077; printf '%s\n' "$PASSWORD" > "$DEMO/demo-password" )
	echo
	echo "demo user: $USER_NAME"
	echo "password:  $PASSWORD   (also in $DEMO/demo-password)"
else
	echo "using the existing instance $DEMO"
	[ -r "$DEMO/demo-password" ] && echo "demo user: $USER_NAME  password: $(cat "$DEMO/demo-password")"
fi
echo "ports: smtp 10025, submission 10587, submissions 10465, pop3 10110, pop3s 10995, imap 10143, imaps 10993 (127.0.0.1)"
echo "stop with Ctrl-C"
echo
"$POSTERN" run "$DEMO"
