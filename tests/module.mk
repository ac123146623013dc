# tests/module.mk: test-only programs (fixtures).  TEST_PROGRAMS are built
# into $(BUILD)/fixtures by `make tests` and never installed; integration
# tests find them through $POSTERN_BUILD/fixtures.

TEST_PROGRAMS += postern-test-echo postern-test-postauth
postern-test-echo_SRCS := tests/fixtures/echo.c
postern-test-postauth_SRCS := tests/fixtures/postauth.c

# postern-test-envtool: read/write queue envelopes; enospc.so: LD_PRELOAD
# shim for disk-full tests (smtpd/queue owner).
TEST_PROGRAMS += postern-test-envtool
postern-test-envtool_SRCS := tests/fixtures/envtool.c
# postern-queue's own objects linked dynamically, for the LD_PRELOAD
# disk-full shim (the installed postern-queue is static-pie; the root pass
# also fills a real tmpfs under it).
TEST_PROGRAMS += postern-queue-dynamic
postern-queue-dynamic_SRCS := $(postern-queue_SRCS)
$(BUILD)/fixtures/enospc.so: tests/fixtures/enospc.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -ldl
tests: $(BUILD)/fixtures/enospc.so

define test_program_template
$(BUILD)/fixtures/$(1): $$($(1)_SRCS:%.c=$(OBJ)/%.o) $(LIBPOSTERN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$($(1)_SRCS:%.c=$(OBJ)/%.o) $(LIBPOSTERN) $(COMMON_LIBS)
endef
$(foreach p,$(TEST_PROGRAMS),$(eval $(call test_program_template,$(p))))

tests: $(TEST_PROGRAMS:%=$(BUILD)/fixtures/%)

# Unit test of a program-private module of postern-listen.
test_listen_iptab_EXTRA := daemon/listen_iptab.c
$(BUILD)/tests/test_listen_iptab: CPPFLAGS += -Idaemon
test_listen_sock_EXTRA := daemon/listen_sock.c
$(BUILD)/tests/test_listen_sock: CPPFLAGS += -Idaemon
