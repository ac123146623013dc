# imapd/module.mk: programs of the IMAP directory.
# postern-msginfo: one FETCH data item of a message file (corpus checks).
PROGRAMS += postern-msginfo
BIN_PROGRAMS += postern-msginfo
postern-msginfo_SRCS := imapd/msginfo_main.c
postern-msginfo_LIBS :=

# postern-imap-login: pre-auth (chrooted, unprivileged) greeting, STARTTLS
# and LOGIN/AUTHENTICATE, handing the session to postern-imapd.
PROGRAMS += postern-imap-login
postern-imap-login_SRCS := $(wildcard imapd/imap_login_*.c) imapd/imap_parser.c \
	imapd/imap_caps.c
postern-imap-login_LIBS :=

# postern-imapd: post-auth server; every imap_*.c / imapd_*.c joins it
# (the message commands of imap_fetch.c & co. included).
PROGRAMS += postern-imapd
postern-imapd_SRCS := $(filter-out imapd/imap_login_%.c imapd/msginfo_main.c, \
	$(wildcard imapd/imap_*.c imapd/imapd_*.c))
postern-imapd_LIBS :=

test_imap_names_EXTRA := imapd/imap_names.c
test_imap_args_EXTRA := imapd/imap_args.c imapd/imap_seqset.c
fuzz_imap_names_EXTRA := imapd/imap_names.c imapd/imap_args.c imapd/imap_seqset.c
