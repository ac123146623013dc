# queue/: postern-queue (hI), postern-send, postern-lspawn, postern-qstat
# (hJ), postern-rspawn, postern-remote (hK).  Each owner declares its own
# programs with explicit source lists.

# postern-queue: the only way into the queue (setuid queue user).
PROGRAMS += postern-queue
postern-queue_SRCS := queue/queue_main.c queue/queue_conf.c queue/queue_store.c

# postern-lspawn: local delivery spawner (root), hJ.
PROGRAMS += postern-lspawn
postern-lspawn_SRCS := queue/lspawn_main.c queue/lspawn_deliver.c

# postern-send: the queue manager, hJ.
PROGRAMS += postern-send
postern-send_SRCS := queue/send_main.c queue/send_store.c queue/send_run.c \
	queue/send_notify.c
