# auth/: postern-checkpassword, the qmail checkpassword interface over the
# passwd-file (installed in libexec/postern).

PROGRAMS += postern-checkpassword
postern-checkpassword_SRCS := auth/checkpassword_main.c
