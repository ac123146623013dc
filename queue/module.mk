# queue/: postern-queue (hI), postern-send, postern-lspawn, postern-qstat
# (hJ), postern-rspawn, postern-remote (hK).  Each owner declares its own
# programs with explicit source lists.

# postern-queue: the only way into the queue (setuid queue user).
PROGRAMS += postern-queue
postern-queue_SRCS := queue/queue_main.c queue/queue_conf.c queue/queue_store.c \
	queue/queue_take.c queue/queue_serve.c

# postern-lspawn: local delivery spawner (root), hJ.
PROGRAMS += postern-lspawn
postern-lspawn_SRCS := queue/lspawn_main.c queue/lspawn_deliver.c queue/lspawn_pool.c

# postern-send: the queue manager, hJ.
PROGRAMS += postern-send
postern-send_SRCS := queue/send_main.c queue/send_store.c queue/send_run.c \
	queue/send_notify.c queue/send_sched.c

# postern-rspawn: remote delivery spawner (remote user), hK.
PROGRAMS += postern-rspawn
postern-rspawn_SRCS := queue/rspawn_main.c

# postern-remote: the SMTP client, the only TLS client (GnuTLS), hK.
PROGRAMS += postern-remote
postern-remote_SRCS := queue/remote_main.c queue/remote_conn.c queue/remote_smtp.c
postern-remote_LIBS := $(TLS_LIBS)
test_remote_stuff_EXTRA := queue/remote_smtp.c queue/remote_conn.c
test_remote_stuff_LIBS := $(TLS_LIBS)
$(BUILD)/tests/test_remote_stuff: CPPFLAGS += -Iqueue

# postern-qstat: queue listing for admins, hJ.
PROGRAMS += postern-qstat
postern-qstat_SRCS := queue/qstat_main.c
