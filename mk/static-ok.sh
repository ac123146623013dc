#!/bin/sh
# static-ok.sh PROGRAM: decides whether a program of a STATIC=1 build can be
# relinked -static-pie.  PROGRAM is the first link: every library static
# except libc and those with no .a (p11-kit).  Exit 0 (relink fully
# static) when it needs no shared library but libc and calls none of the
# glibc functions that, in a static program, load shared objects of the
# same glibc at run time: NSS (getpwnam, getgrouplist, getaddrinfo, ...),
# iconv's gconv modules and dlopen.  In a static program those need the
# exact glibc the program was linked with installed, load a second libc
# into the process (getgrouplist with "group: files systemd" loads
# libnss_systemd), and getpwnam of a missing name with "systemd" in
# nsswitch.conf crashes on Debian 12; such programs keep libc shared.
# The exception: getpwnam, getgrnam, getgrouplist, endpwent and endgrent,
# which the static link redirects to mk/nss_files.c (/etc/passwd and
# /etc/group only; postern's service users are local accounts).
# static-ok.sh PROGRAM keep-shared: libc stays shared (the Makefile's
# LIBC_SHARED_PROGRAMS).  Prints the decision and its reason.
set -eu
prog=$1
name=$(basename "$prog")
if [ "${2:-}" = keep-shared ]; then
	echo "$name: libc stays shared (LIBC_SHARED_PROGRAMS)"
	exit 1
fi
needed=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^libc\.so\.' | tr '\n' ' ' || true)
syms=$(nm -D --undefined-only "$prog" | awk '{ sub(/@.*/, "", $2); print $2 }' |
	grep -E '^(getpw|getgr|initgroups$|getsp|getsg|gethostby|gethostent|getaddrinfo$|getnameinfo$|getserv|getproto|getnet|getrpc|getalias|setpwent|setgrent|endpwent|endgrent|ether_|innetgr|iconv_open$|dlopen$|dlmopen$)' |
	grep -vxE 'getpwnam|getgrnam|getgrouplist|endpwent|endgrent' |
	sort -u | tr '\n' ' ' || true)
if [ -n "$needed" ]; then
	echo "$name: libc stays shared (needs ${needed% })"
	exit 1
fi
if [ -n "$syms" ]; then
	echo "$name: libc stays shared (uses ${syms% })"
	exit 1
fi
echo "$name: static-pie"
exit 0
