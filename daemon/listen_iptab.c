/* listen_iptab.c: postern-listen's bounded tables: live sessions (pid and
 * client IP, at most MAXCONN) and recent failed logins per client IP (at
 * most LISTEN_FAIL_SLOTS; the oldest entry is forgotten when full). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "listen.h"

static struct session_slot *slots;
static int nslots;
static struct fail_entry fails[LISTEN_FAIL_SLOTS];
static pid_t *groups;           /* lingering process groups, 0 = free */
static int ngroups, group_next;

void iptab_init(int maxconn)
{
	nslots = maxconn;
	slots = xcalloc((size_t)maxconn, sizeof(*slots));
	ngroups = maxconn;
	groups = xcalloc((size_t)maxconn, sizeof(*groups));
	group_next = 0;
}

int iptab_count(void)
{
	int n = 0;
	for (int i = 0; i < nslots; i++)
		n += slots[i].pid != 0;
	return n;
}

int iptab_count_ip(const char *ip)
{
	int n = 0;
	for (int i = 0; i < nslots; i++)
		n += slots[i].pid != 0 && strcmp(slots[i].ip, ip) == 0;
	return n;
}

void iptab_add(pid_t pid, const char *ip)
{
	for (int i = 0; i < nslots; i++)
		if (slots[i].pid == 0) {
			slots[i].pid = pid;
			snprintf(slots[i].ip, sizeof(slots[i].ip), "%s", ip);
			return;
		}
}

int iptab_remove(pid_t pid)
{
	for (int i = 0; i < nslots; i++)
		if (slots[i].pid == pid) {
			slots[i].pid = 0;
			return 1;
		}
	return 0;
}

void iptab_each(void (*fn)(pid_t))
{
	for (int i = 0; i < nslots; i++)
		if (slots[i].pid)
			fn(slots[i].pid);
}

void iptab_linger(pid_t pgid)
{
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == 0 || groups[i] == pgid) {
			groups[i] = pgid;
			return;
		}
	/* full: replace in turn, so the table stays bounded */
	groups[group_next] = pgid;
	group_next = (group_next + 1) % ngroups;
}

int iptab_lingering(void)
{
	int n = 0;
	for (int i = 0; i < ngroups; i++)
		n += groups[i] != 0;
	return n;
}

void iptab_each_lingering(void (*fn)(pid_t))
{
	for (int i = 0; i < ngroups; i++)
		if (groups[i])
			fn(groups[i]);
}

void iptab_prune(int (*alive)(pid_t))
{
	for (int i = 0; i < ngroups; i++)
		if (groups[i] && !alive(groups[i]))
			groups[i] = 0;
}

static struct fail_entry *fail_find(const char *ip)
{
	for (int i = 0; i < LISTEN_FAIL_SLOTS; i++)
		if (fails[i].count && strcmp(fails[i].ip, ip) == 0)
			return &fails[i];
	return NULL;
}

unsigned failtab_get(const char *ip, time_t now, time_t window)
{
	struct fail_entry *e = fail_find(ip);
	if (e == NULL)
		return 0;
	if (now - e->last >= window) {
		e->count = 0;
		return 0;
	}
	return e->count;
}

void failtab_fail(const char *ip, time_t now, time_t window)
{
	struct fail_entry *e = fail_find(ip), *oldest = NULL;

	if (e && now - e->last >= window)
		e->count = 0;
	if (e == NULL) {
		for (int i = 0; i < LISTEN_FAIL_SLOTS; i++) {
			struct fail_entry *c = &fails[i];
			if (c->count == 0 || now - c->last >= window) {
				oldest = c;
				break;
			}
			if (oldest == NULL || c->last < oldest->last)
				oldest = c;
		}
		e = oldest;
		snprintf(e->ip, sizeof(e->ip), "%s", ip);
		e->count = 0;
	}
	if (e->count < 1000000)
		e->count++;
	e->last = now;
}

void failtab_clear(const char *ip)
{
	struct fail_entry *e = fail_find(ip);
	if (e)
		e->count = 0;
}

unsigned failtab_size(void)
{
	unsigned n = 0;
	for (int i = 0; i < LISTEN_FAIL_SLOTS; i++)
		n += fails[i].count != 0;
	return n;
}
