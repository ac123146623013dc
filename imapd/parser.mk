# imapd/parser.mk: the IMAP command reader's unit test and fuzz harness.
test_imap_parser_EXTRA := imapd/imap_parser.c
fuzz_imap_parser_EXTRA := imapd/imap_parser.c
CPPFLAGS += -Iimapd
