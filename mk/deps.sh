#!/bin/bash
# Installs the packages postern needs to build and test, through apt with
# --no-install-recommends, when any is missing.  Run by `make deps` (and so by
# `make`, `make run`, `make check`).  Without root it only reports.
set -e
PKGS="pkg-config libbsd-dev libgnutls28-dev check libsubunit-dev libunistring-dev
libcrypt-dev clang-14 libclang-rt-14-dev ca-certificates gnutls-bin python3
curl swaks libnet-ssleay-perl libio-socket-ssl-perl mutt isync fetchmail msmtp strace systemd postfix dovecot-imapd
dovecot-pop3d iproute2 util-linux passwd procps"
# STATIC=1 links the programs from .a files: these -dev packages hold them
# (libc.a, libresolv.a: libc6-dev; libatomic.a: libgcc-12-dev; p11-kit has
# no .a and stays shared), readelf and nm (binutils) serve mk/static-ok.sh.
PKGS="$PKGS libc6-dev libgcc-12-dev binutils nettle-dev libgmp-dev libtasn1-6-dev
libidn2-dev libmd-dev libp11-kit-dev"
missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "postern: missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "postern: run 'make deps' as root to install them (apt-get install --no-install-recommends$missing)" >&2
	exit 1
fi
echo "postern: installing them with apt-get (--no-install-recommends)" >&2
export DEBIAN_FRONTEND=noninteractive
# Packaged daemons (postfix, dovecot) must not start system instances.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "postern: packages installed" >&2
