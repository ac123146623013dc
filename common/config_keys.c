/* config_keys.c: the one table of postern.conf keys (see config.h).
 * The reader, `postern check`, the sample config and postern.conf(5) all
 * come from this table.  Each program's owner adds its keys to its own
 * section, with the KEY / KEY_ENUM macros (designated initializers, so the
 * struct can grow without touching the entries).  Defaults are written as
 * they would be in the file; a NULL default means "unset". */
#include "config.h"

#define SECTION(n, d) { .name = (n), .type = CFG_SECTION, .doc = (d) }
#define KEY(n, t, dv, d) { .name = (n), .type = (t), .def = (dv), .doc = (d) }
#define KEY_ENUM(n, w, dv, d) \
	{ .name = (n), .type = CFG_ENUM, .def = (dv), .doc = (d), .words = (w) }

const struct config_key config_keys[] = {
	SECTION("general", "Names, directories, table files, users and limits shared by every program."),
	KEY("hostname", CFG_STRING, "",
	    "Host name used in greetings, Received lines and Message-IDs; empty means gethostname()."),
	KEY("user_prefix", CFG_STRING, "postern-",
	    "Prefix of the service user and group names (<prefix>q, <prefix>smtpd, <prefix>auth, <prefix>tls, <prefix>r, <prefix>lmtp)."),
	KEY("queue_dir", CFG_PATH, NULL, "Queue directory tree, owned by the queue user."),
	KEY("run_dir", CFG_PATH, NULL, "Directory for sockets and pid files."),
	KEY("empty_dir", CFG_PATH, NULL, "Empty root-owned 0755 directory that pre-auth programs chroot into."),
	KEY("mail_dir", CFG_PATH, NULL, "Parent of the virtual users' home directories."),
	KEY("domains_file", CFG_PATH, NULL, "Table of local domains, one per line."),
	KEY("relaynets_file", CFG_PATH, NULL, "Table of client networks (address or CIDR per line) allowed to relay."),
	KEY("routes_file", CFG_PATH, NULL, "Table of static routes: \"domain [host]:port\" per line."),
	KEY("aliases_file", CFG_PATH, NULL, "Table of aliases: \"name: target, target\" per line."),
	KEY("passwd_file", CFG_PATH, NULL, "Dovecot-format passwd-file with password hashes (root, 0600)."),
	KEY("users_file", CFG_PATH, NULL, "Hash-free user list generated from the passwd-file (0644)."),
	KEY("secrets_file", CFG_PATH, NULL, "Smarthost credentials, readable only by the remote user."),
	KEY("tls_cert", CFG_PATH, NULL, "TLS certificate chain (PEM)."),
	KEY("tls_key", CFG_PATH, NULL, "TLS private key (PEM), readable by root only."),
	KEY("tls_priority", CFG_STRING, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    "GnuTLS priority string for the TLS terminator and postern-remote."),
	KEY("tls_handshake_timeout", CFG_DURATION, "30s", "Time a client has to complete the TLS handshake."),
	KEY("uid_min", CFG_INT, "10000", "Lowest uid allocated to virtual users; delivery refuses uids below it."),
	KEY("uid_max", CFG_INT, "60000", "Highest uid allocated to virtual users; delivery refuses uids above it."),
	KEY("listen_address", CFG_LIST, "127.0.0.1", "Addresses the listeners bind (IPv4 or IPv6, comma- or space-separated)."),
	KEY("port_base", CFG_INT, "10000",
	    "Ports are port_base plus the standard port (smtp +25, submission +587, imaps +993, ...); 0 for the standard ports."),
	KEY("max_connections", CFG_INT, "100", "Concurrent sessions per service."),
	KEY("max_connections_per_ip", CFG_INT, "20", "Concurrent sessions per client address and service."),
	KEY("auth_fail_limit", CFG_INT, "10",
	    "Failed authentications from one address within auth_fail_window before its connections are refused."),
	KEY("auth_fail_window", CFG_DURATION, "10m", "Window over which failed authentications are counted."),
	KEY_ENUM("plaintext_auth", "yes no loopback", "loopback",
	    "Allow password authentication without TLS: yes, no, or loopback (only from 127.0.0.0/8 and ::1)."),

	SECTION("smtpd", "postern-smtpd: SMTP and submission sessions."),
	/* smtpd keys: added by the smtpd owner. */
	KEY("smtpd_max_message_size", CFG_SIZE, "32m", "Largest message accepted (advertised as SIZE); larger ones get 552 and nothing is queued."),
	KEY("smtpd_max_recipients", CFG_INT, "100", "Recipients per message; beyond it RCPT gets 452 4.5.3."),
	KEY("smtpd_max_errors", CFG_INT, "10", "Erroneous commands (and failed AUTH) in one session before it is closed with 421."),
	KEY("smtpd_max_line", CFG_SIZE, "64k", "Longest message text line kept intact; a longer line makes the transaction fail (nothing is split or truncated)."),
	KEY("smtpd_command_timeout", CFG_DURATION, "5m", "Time a client has for each command (RFC 5321 4.5.3.2)."),
	KEY("smtpd_data_timeout", CFG_DURATION, "3m", "Time a client has for each block of message data (RFC 5321 4.5.3.2.6)."),
	KEY("smtpd_greet_pause", CFG_DURATION, "0s", "Pause before the greeting; a client that talks during it (or before the greeting at all) is refused with 554."),
	KEY("smtpd_prepared", CFG_BOOL, "yes", "postern run: start each postern-smtpd of the smtp service ahead of its connection (postern-listen -P), set up and waiting, so that the greeting does not wait for a process start. Only for postern-smtpd or a program that takes its connection the same way (common/prepared.h)."),
	KEY("smtpd_log_commands", CFG_BOOL, "no", "Log each command line (AUTH redacted) at info level; off by default, as in Postfix and Dovecot (connect, message and end of session are always logged)."),
	KEY("smtpd_queue_timeout", CFG_DURATION, "2m", "Time postern-queue has to accept a message before the reply is 451."),
	KEY_ENUM("smtpd_sender_policy", "own domain any", "own",
	    "Submission: MAIL FROM must be the authenticated user's own address (own), any address in its domain (domain), or anything (any)."),

	SECTION("queue", "postern-queue, postern-send: the queue and its retries."),
	/* queue keys: added by the queue owner. */
	KEY("queue_program", CFG_PATH, NULL, "postern-queue to run; unset: DIR/libexec/postern-queue of the instance, else the one beside the calling program."),
	KEY("queue_writers", CFG_INT, "8", "postern-queue -S (started by postern run): resident writers that take postern-smtpd's messages of up to 64 KB without a process per message; 0: a postern-queue process for every message."),
	KEY("queue_socket", CFG_PATH, NULL, "The writers' socket; unset: DIR/run/queue.sock of the instance, beside the queue's directory."),
	KEY("queue_message_max", CFG_SIZE, "64m", "Largest message postern-queue accepts from anyone (permanent refusal beyond)."),
	KEY("queue_retry_schedule", CFG_LIST, "1m 5m 15m 30m 1h 2h 4h", "postern-send: waits between delivery attempts of a recipient (durations); the last one repeats until queue_lifetime."),
	KEY("queue_lifetime", CFG_DURATION, "5d", "postern-send: age after which a temporarily failing recipient is bounced."),
	KEY("queue_quota_lifetime", CFG_DURATION, "1d", "postern-send: age after which a recipient still over quota (4.2.2) is bounced."),
	KEY("queue_concurrency_local", CFG_INT, "10", "postern-send: local deliveries at once."),
	KEY("queue_concurrency_remote", CFG_INT, "20", "postern-send: remote deliveries at once."),
	KEY("queue_concurrency_domain", CFG_INT, "5", "postern-send: remote deliveries at once to one destination domain."),
	KEY("queue_delivery_timeout", CFG_DURATION, "1h", "postern-send: a delivery without an answer after this long is counted as a temporary failure."),
	KEY("delay_warning_time", CFG_DURATION, "4h", "postern-send: age after which the sender gets one delay report (RFC 3464 Action: delayed) per message for the recipients still deferred that asked for it with NOTIFY=DELAY; 0 = never."),
	KEY("delay_warning_notify_absent", CFG_BOOL, "no", "postern-send: the delay report also covers recipients given without NOTIFY (RFC 3461 leaves that to the server; Postfix sends them when its delay_warning_time is set)."),

	SECTION("delivery", "postern-lspawn, postern-deliver, postern-lmtpd: local delivery."),
	/* delivery keys: added by the delivery owner. */
	KEY("lspawn_socket", CFG_PATH, NULL, "postern-lspawn: its listening socket for postern-lmtpd; unset: DIR/run/lspawn.sock of the instance, beside the queue's directory."),
	KEY("delivery_max_received", CFG_INT, "100", "postern-deliver: a message with more Received header fields is refused as a loop."),
	KEY("delivery_timeout", CFG_DURATION, "1h", "postern-lspawn: a postern-deliver running longer is killed (temporary failure)."),
	KEY("delivery_pipe_timeout", CFG_DURATION, "10m", "postern-deliver: a rule-file pipe command running longer is killed (temporary failure)."),
	KEY("lmtp_timeout", CFG_DURATION, "5m", "postern-lmtpd: time a client has for each command and each block of message data."),
	KEY("lmtp_max_message_size", CFG_SIZE, "64m", "postern-lmtpd: largest message accepted (advertised as SIZE); larger ones get 552 for every recipient."),
	KEY("lmtp_max_recipients", CFG_INT, "100", "postern-lmtpd: recipients per transaction; beyond it RCPT gets 452 4.5.3."),

	SECTION("remote", "postern-rspawn, postern-remote: delivery to other hosts."),
	/* remote keys: added by the remote delivery owner. */
	KEY("resolver_address", CFG_STRING, "", "postern-remote: DNS server (an IPv4 or IPv6 literal, as in resolv.conf; [::1] also) for MX and address lookups; empty: the system's resolv.conf."),
	KEY("resolver_port", CFG_INT, "53", "postern-remote: port of resolver_address."),
	KEY("resolver_timeout", CFG_DURATION, "10s", "postern-remote: time one DNS query may take (all tries)."),
	KEY("remote_port", CFG_INT, "25", "postern-remote: port of hosts found through MX or address records (routes name their own)."),
	KEY("remote_max_hosts", CFG_INT, "10", "postern-remote: most MX hosts (and addresses) tried for one delivery."),
	KEY("remote_connect_timeout", CFG_DURATION, "30s", "postern-remote: time a TCP connection may take to open."),
	KEY("remote_greeting_timeout", CFG_DURATION, "5m", "postern-remote: wait for the 220 greeting (RFC 5321 4.5.3.2.1)."),
	KEY("remote_command_timeout", CFG_DURATION, "5m", "postern-remote: wait for replies to EHLO, STARTTLS, AUTH, MAIL and RCPT (RFC 5321 4.5.3.2.2-3)."),
	KEY("remote_data_timeout", CFG_DURATION, "2m", "postern-remote: wait for the 354 reply to DATA (RFC 5321 4.5.3.2.4)."),
	KEY("remote_block_timeout", CFG_DURATION, "3m", "postern-remote: time each block of message data may take to send (RFC 5321 4.5.3.2.5)."),
	KEY("remote_done_timeout", CFG_DURATION, "10m", "postern-remote: wait for the reply to the final dot (RFC 5321 4.5.3.2.6)."),
	KEY("remote_tls_ca_file", CFG_PATH, NULL, "postern-remote: CA certificates (PEM) for verified TLS; unset: the system's trust store."),
	KEY("remote_delivery_timeout", CFG_DURATION, "1h", "postern-rspawn: a postern-remote running longer is killed (temporary failure)."),

	SECTION("recipients", "Local recipient resolution (common/recipient.c), used by smtpd, lspawn, deliver and lmtpd."),
	KEY("recipient_delimiter", CFG_STRING, "+",
	    "Characters that separate a local part from its extension (user+ext); each one is a delimiter; empty disables extensions."),
	KEY("postmaster", CFG_STRING, "",
	    "Address that postmaster resolves to when no alias or user is named postmaster; empty means the first user of the user list."),
	KEY("alias_max_depth", CFG_INT, "10", "Deepest alias nesting followed before the address is refused as a loop."),
	KEY("alias_max_targets", CFG_INT, "1000", "Most targets one address may expand to through aliases."),

	SECTION("pop3", "postern-pop3-login, postern-pop3d."),
	/* pop3 keys: added by the POP3 owner. */
	KEY("pop3_login_timeout", CFG_DURATION, "60s", "postern-pop3-login: time a client has for each command before the connection is closed."),
	KEY("pop3_auth_failures", CFG_INT, "3", "postern-pop3-login: failed logins in one session before it is closed."),
	KEY("pop3_auth_fail_delay", CFG_DURATION, "1s", "postern-pop3-login: pause after each failed login (doubled for each further failure, at most 15s)."),
	KEY("pop3_max_bad_commands", CFG_INT, "20", "postern-pop3-login, postern-pop3d: unknown, malformed or misplaced commands in one session before it is closed."),
	KEY("pop3_idle_timeout", CFG_DURATION, "10m", "postern-pop3d: autologout after this long without a command (RFC 1939 3: at least 10 minutes; never below 1 minute)."),

	SECTION("imap", "postern-imap-login, postern-imapd."),
	/* imap keys: added by the IMAP owner. */
	KEY("imap_login_timeout", CFG_DURATION, "60s", "postern-imap-login: time a client has for each command before it is logged out."),
	KEY("imap_auth_failures", CFG_INT, "3", "postern-imap-login: failed logins in one session before it is closed."),
	KEY("imap_auth_fail_delay", CFG_DURATION, "2s", "postern-imap-login: pause after each failed login (doubled for each further failure, at most 15s)."),
	KEY("imap_idle_timeout", CFG_DURATION, "30m", "postern-imapd: autologout after this long without a command (RFC 9051: at least 30 minutes)."),
	KEY("imap_idle_poll", CFG_DURATION, "1s", "postern-imapd: how often IDLE looks for changes when inotify is unavailable."),
	KEY("imap_idle_inotify", CFG_BOOL, "yes", "postern-imapd: IDLE uses inotify (no: always poll, e.g. for Maildirs on NFS)."),
	KEY("imap_max_line", CFG_SIZE, "64k", "Longest IMAP command line; longer ones get BAD."),
	KEY("imap_max_literal", CFG_SIZE, "64m", "Largest literal (and so largest APPENDed message); larger ones get NO [TOOBIG] before anything is read."),

	{ .name = NULL }
};
