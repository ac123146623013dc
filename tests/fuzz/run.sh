#!/bin/bash
# run.sh DIR SECONDS FUZZER...: runs each libFuzzer harness for SECONDS
# with its seed corpus (tests/fuzz/corpus/NAME if present).
set -e
dir=$1; secs=$2; shift 2
rc=0
for f in "$@"; do
	work=$(mktemp -d)
	seeds=tests/fuzz/corpus/${f#fuzz_}
	[ -d "$seeds" ] || seeds=
	echo "fuzz: $f for ${secs}s"
	if ! "$dir/$f" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
	    -artifact_prefix="$work/" "$work" $seeds >"$work/log" 2>&1; then
		echo "fuzz: $f FAILED (log and artifacts in $work)"; tail -40 "$work/log"; rc=1
	else
		grep -E '^(#[0-9]+|Done)' "$work/log" | tail -1; rm -rf "$work"
	fi
done
exit $rc
