# daemon/: postern-listen (listener), postern-tls (TLS terminator),
# postern-login (per-session root monitor).  (postern, the CLI and
# supervisor, is declared below by its owner.)

PROGRAMS += postern-listen
postern-listen_SRCS := daemon/listen_main.c daemon/listen_sock.c daemon/listen_iptab.c

PROGRAMS += postern-tls
postern-tls_SRCS := daemon/tls_main.c daemon/tls_relay.c
postern-tls_LIBS := $(TLS_LIBS)

PROGRAMS += postern-login
postern-login_SRCS := daemon/login_main.c
