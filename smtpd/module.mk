# smtpd/: postern-smtpd, one SMTP or submission session on stdin/stdout.
PROGRAMS += postern-smtpd
postern-smtpd_SRCS := $(wildcard smtpd/*.c)

# Program-private modules under unit test and fuzzing.
SMTPD_LIB_SRCS := smtpd/smtp_cmd.c smtpd/smtp_data.c smtpd/smtp_reply.c
test_smtp_cmd_EXTRA := $(SMTPD_LIB_SRCS)
test_smtp_data_EXTRA := $(SMTPD_LIB_SRCS)
test_smtp_reply_EXTRA := $(SMTPD_LIB_SRCS)

fuzz_smtp_cmd_EXTRA := $(SMTPD_LIB_SRCS)
fuzz_smtp_data_EXTRA := $(filter-out smtpd/smtp_main.c,$(wildcard smtpd/*.c))
