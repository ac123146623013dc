# deliver/: postern-deliver (hJ), postern-lmtpd (hK).  Each owner declares
# its own programs with explicit source lists.

# postern-deliver: one local delivery as the recipient's uid.
PROGRAMS += postern-deliver
postern-deliver_SRCS := deliver/deliver_main.c deliver/deliver_header.c \
	deliver/deliver_maildir.c deliver/deliver_rules.c

# postern-lmtpd: LMTP server in front of postern-lspawn, hK.
PROGRAMS += postern-lmtpd
postern-lmtpd_SRCS := deliver/lmtpd_main.c deliver/lmtpd_data.c deliver/lmtpd_deliver.c
test_lmtpd_data_EXTRA := deliver/lmtpd_data.c
$(BUILD)/tests/test_lmtpd_data: CPPFLAGS += -Ideliver
