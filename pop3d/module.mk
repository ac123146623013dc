# pop3d/module.mk: programs of the POP3 directory.
# postern-pop3-login: pre-auth (chrooted, unprivileged) greeting, CAPA,
# STLS and USER/PASS/AUTH, handing the session to postern-pop3d.
PROGRAMS += postern-pop3-login
postern-pop3-login_SRCS := pop3d/pop3_login_main.c pop3d/pop3_cmd.c \
	pop3d/pop3_reply.c
postern-pop3-login_LIBS :=

# postern-pop3d: post-auth server on the user's Maildir.
PROGRAMS += postern-pop3d
postern-pop3d_SRCS := pop3d/pop3d_main.c pop3d/pop3d_session.c \
	pop3d/pop3_maildrop.c pop3d/pop3_cmd.c pop3d/pop3_reply.c \
	pop3d/pop3_stuff.c pop3d/pop3_sizes.c
postern-pop3d_LIBS :=

test_pop3_cmd_EXTRA := pop3d/pop3_cmd.c pop3d/pop3_reply.c
test_pop3_stuff_EXTRA := pop3d/pop3_stuff.c pop3d/pop3_sizes.c
fuzz_pop3_cmd_EXTRA := pop3d/pop3_cmd.c pop3d/pop3_reply.c pop3d/pop3_stuff.c \
	pop3d/pop3_sizes.c
# tests and the fuzz harness include pop3.h
CPPFLAGS += -Ipop3d
