# deliver/: postern-deliver (hJ), postern-lmtpd (hK).  Each owner declares
# its own programs with explicit source lists.

# postern-deliver: one local delivery as the recipient's uid.
PROGRAMS += postern-deliver
postern-deliver_SRCS := deliver/deliver_main.c deliver/deliver_header.c \
	deliver/deliver_maildir.c deliver/deliver_rules.c
