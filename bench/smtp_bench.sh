#!/bin/bash
# smtp_bench.sh: SMTP accept rate and end-to-end rate into a Maildir, for any
# SMTP server, with Postfix's smtp-source (one message per connection, 4 KB
# payload by default).
#   usage: smtp_bench.sh HOST PORT CONCURRENCY COUNT RCPT [MAILDIR] [SIZE]
# Accept time: until smtp-source has every message acknowledged (250 after
# DATA).  End-to-end time: until MAILDIR/new holds COUNT more files than at the
# start (only when MAILDIR is given; give a Maildir nobody else delivers to).
# Prints: accept_s=S accept_rate=R [e2e_s=S e2e_rate=R]
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 HOST PORT CONCURRENCY COUNT RCPT [MAILDIR] [SIZE]" >&2; exit 2; }
host=$1 port=$2 conc=$3 count=$4 rcpt=$5 maildir=${6:-} size=${7:-4096}
source_bin=$(command -v smtp-source || echo /usr/sbin/smtp-source)
timeout_s=${SMTP_BENCH_TIMEOUT:-600}

nfiles() { find "$1/new" -maxdepth 1 -type f 2>/dev/null | wc -l; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

before=0
[ -n "$maildir" ] && before=$(nfiles "$maildir")
t0=$(date +%s.%N)
"$source_bin" -4 -s "$conc" -m "$count" -l "$size" -M bench.localhost \
	-f "sender@bench.localhost" -t "$rcpt" "$host:$port" >/dev/null
t1=$(date +%s.%N)
accept=$(calc "$t1 - $t0")
printf 'accept_s=%.4f accept_rate=%.1f' "$accept" "$(calc "$count / $accept")"
if [ -n "$maildir" ]; then
	want=$((before + count))
	while [ "$(nfiles "$maildir")" -lt "$want" ]; do
		now=$(date +%s.%N)
		if [ "$(calc "(($now - $t0) > $timeout_s)")" != 0.000000 ]; then
			echo " e2e=timeout"
			exit 1
		fi
		sleep 0.02
	done
	t2=$(date +%s.%N)
	e2e=$(calc "$t2 - $t0")
	printf ' e2e_s=%.4f e2e_rate=%.1f' "$e2e" "$(calc "$count / $e2e")"
fi
echo
