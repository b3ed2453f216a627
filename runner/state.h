/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry of running machines: a directory STATE_DIR/NAME per machine, holding "state",
 * a KEY=VALUE file that its runimg keeps locked (flock) for as long as it runs, and "notify",
 * the socket a booted guest's sd_notify() reaches.  A state file nobody holds a lock on
 * belongs to a runimg that was killed; the next runimg sweeps the entry together with the
 * cgroups it names and the machine's host-side veths.  runimg's own entries in STATE_DIR
 * start with a dot, which machine names cannot.
 *
 * Keys: NAME PID PID_START LEADER LEADER_START STATE IMAGE KIND MODE BOOT UUID HOSTNAME NETNS
 * CGROUP (repeated) INTERFACE (repeated) NOTIFY.  *_START are the processes' start times (clock
 * ticks after boot, field 22 of /proc/PID/stat): a pid is only trusted together with its start
 * time, and then through a pidfd.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct machine_state {
	int fd;
	int dir_fd;
	char *name;
};

#define MACHINE_STATE_NULL ((struct machine_state){ .fd = -1, .dir_fd = -1 })

/* Create STATE_DIR/name with its state file locked.  -EEXIST when a running machine has the
 * name; a stale entry of that name is swept first. */
int state_claim(const char *state_dir, const char *name, struct machine_state *ret);
/* STATE_DIR/NAME/file of a claimed entry. */
char *state_path(const struct machine_state *st, const char *state_dir, const char *file);
/* Replace the file's content (the lock is kept). */
int state_write(struct machine_state *st, const char *content);
/* Remove the entry (its files and directory) and unlock. */
void state_release(struct machine_state *st);
struct netif_config;
/* The INTERFACE= lines ("GUEST HOST-SIDE BRIDGE") of the machine's veths, "" when !created. */
char *state_interfaces(const struct netif_config *cfg, const char *machine, bool created);

/* Remove stale entries and what they list (CGROUP=, NOTIFY=), and their host-side veths. */
void state_sweep(const char *state_dir);
/* The same for one entry: 1 removed (or not there), 0 its runimg is alive, -errno. */
int state_sweep_one(const char *state_dir, const char *name);

/* One entry as read back by list, status, shell and stop. */
struct machine_entry {
	char *name;
	bool alive;    /* its runimg holds the lock */
	char *state;   /* starting, running, ready, stopping; "stale" when !alive */
	pid_t pid;     /* runimg */
	uint64_t pid_start;
	pid_t leader;  /* the machine's PID 1 (0 while starting) */
	uint64_t leader_start;
	char *image;
	char *kind;
	char *mode;
	bool boot;
	char *uuid;
	char *hostname;
	bool private_network;
	char **cgroups;	   /* host paths */
	char **interfaces; /* as the network setup recorded them */
	char *notify;
};

void machine_entry_free(struct machine_entry *e);
/* Pure: fill e from a state file's text (unknown keys are skipped). */
int state_parse(const char *text, struct machine_entry *e);
/* -ENOENT when there is no such machine. */
int state_read(const char *state_dir, const char *name, struct machine_entry **ret);
/* Every entry, sorted by name. */
int state_list(const char *state_dir, struct machine_entry ***ret, size_t *ret_n);
void state_list_free(struct machine_entry **v, size_t n);

/* The start time of a process (ticks after boot), or -ESRCH. */
int proc_start_time(pid_t pid, uint64_t *ret);
/* A pidfd of pid if it is still the process that started at start (else -ESRCH). */
int pidfd_open_verified(pid_t pid, uint64_t start, int *ret);
