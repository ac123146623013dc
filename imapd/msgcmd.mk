# imapd/msgcmd.mk: unit tests and fuzz harnesses of the IMAP message
# commands' pure parts (sequence sets, SEARCH keys and evaluation, the
# BINARY decodability check).
test_imap_seqset_EXTRA := imapd/imap_seqset.c
test_imap_search_EXTRA := imapd/imap_seqset.c imapd/imap_search_parse.c \
	imapd/imap_search_eval.c imapd/imap_parser.c
test_imap_fetch_items_EXTRA := imapd/imap_fetch_items.c imapd/imap_parser.c
fuzz_imap_search_EXTRA := imapd/imap_seqset.c imapd/imap_search_parse.c \
	imapd/imap_search_eval.c imapd/imap_parser.c
fuzz_imap_binary_EXTRA := imapd/imap_binary_check.c
test_imap_binary_check_EXTRA := imapd/imap_binary_check.c
