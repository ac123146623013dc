# daemon/: postern-listen (listener), postern-tls (TLS terminator),
# postern-login (per-session root monitor).  (postern, the CLI and
# supervisor, is declared below by its owner.)

PROGRAMS += postern-listen
postern-listen_SRCS := daemon/listen_main.c daemon/listen_sock.c daemon/listen_iptab.c \
	daemon/listen_request.c

PROGRAMS += postern-tls
postern-tls_SRCS := daemon/tls_main.c daemon/tls_relay.c
postern-tls_LIBS := $(TLS_LIBS)

PROGRAMS += postern-login
postern-login_SRCS := daemon/login_main.c

# postern: admin CLI and supervisor (init, user, check, run, config-man).
# Links GnuTLS only for the self-signed certificate of `postern init` and
# the certificate check of `postern check`.
PROGRAMS += postern
SBIN_PROGRAMS += postern
postern_SRCS := daemon/postern_main.c daemon/postern_init.c daemon/postern_cert.c \
	daemon/postern_user.c daemon/postern_check.c daemon/postern_run.c \
	daemon/postern_services.c daemon/postern_queue.c daemon/postern_file.c \
	daemon/postern_tables.c daemon/postern_writers.c
postern_LIBS := $(TLS_LIBS)
test_postern_tables_EXTRA := daemon/postern_tables.c
fuzz_postern_tables_EXTRA := daemon/postern_tables.c
