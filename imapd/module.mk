# imapd/module.mk: programs of the IMAP directory.
# postern-msginfo: one FETCH data item of a message file (corpus checks).
PROGRAMS += postern-msginfo
BIN_PROGRAMS += postern-msginfo
postern-msginfo_SRCS := imapd/msginfo_main.c
postern-msginfo_LIBS :=
