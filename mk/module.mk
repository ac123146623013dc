# mk/module.mk: build support's own unit test (mk/nss_files.c, the
# files-only passwd/group lookups of static programs).
test_nss_files_EXTRA := mk/nss_files.c
$(BUILD)/tests/test_nss_files: CPPFLAGS += -Imk
