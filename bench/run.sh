#!/bin/bash
# run.sh: entry point of `make bench` (bash bench/run.sh BINDIR).  Installs the
# peers (Postfix, Dovecot) from Debian packages if missing, without starting the
# system instances; builds bench/fsync_ceiling.c; runs bench/bench.py, which
# starts private instances on loopback under a temp dir, measures postern (the
# programs in BINDIR, where they exist) and the peers side by side, prints the
# table and writes bench/RESULTS.md.  Needs root (private Postfix and Dovecot
# instances run as root like the system ones).  Never part of `make check`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(cd "${1:-build/bin}" 2>/dev/null && pwd || echo "${1:-build/bin}")

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (private Postfix/Dovecot instances)" >&2
	exit 1
fi

need=()
command -v postfix >/dev/null && command -v smtp-source >/dev/null || need+=(postfix)
command -v dovecot >/dev/null || need+=(dovecot-core)
[ -e /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -e /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]} (system instances not started)" >&2
	# policy-rc.d 101: maintainer scripts must not start the system services
	rcd=/usr/sbin/policy-rc.d
	had_rcd=0
	[ -e "$rcd" ] && had_rcd=1 && cp -p "$rcd" "$rcd.bench-saved"
	printf '#!/bin/sh\nexit 101\n' >"$rcd"
	chmod 755 "$rcd"
	restore_rcd() { if [ $had_rcd = 1 ]; then mv -f "$rcd.bench-saved" "$rcd"; else rm -f "$rcd"; fi; }
	trap restore_rcd EXIT
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
	restore_rcd
	trap - EXIT
fi

tools=$(mktemp -d /tmp/postern-bench-tools.XXXXXX)
trap 'rm -rf "$tools"' EXIT
cc -std=c11 -O2 -Wall -Wextra -pthread -o "$tools/fsync_ceiling" "$here/fsync_ceiling.c"

python3 "$here/bench.py" "$bindir" "$tools/fsync_ceiling"
