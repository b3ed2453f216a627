/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small pool of worker threads draining a FIFO of jobs.  The caller embeds struct
 * workqueue_item in its job struct.  Once a job fails, the jobs still queued are not run (they
 * are only released); the first failure wins and its item is handed back by workqueue_finish().
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define WORKQUEUE_MAX_THREADS 4

struct workqueue_item {
	struct workqueue_item *next;
};

struct workqueue_ops {
	/* Run one job (in a worker thread); < 0 fails the queue. */
	int (*run)(struct workqueue_item *item, void *userdata);
	/* Free a job that is done (not the first failed one). */
	void (*release)(struct workqueue_item *item);
};

struct workqueue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t threads[WORKQUEUE_MAX_THREADS];
	unsigned n_threads;
	struct workqueue_item *head, *tail;
	bool closing;
	int error;
	struct workqueue_item *failed;
	size_t done;
	const struct workqueue_ops *ops;
	void *userdata;
};

/* One thread per CPU, at most WORKQUEUE_MAX_THREADS.  -EAGAIN if none could be started. */
int workqueue_start(struct workqueue *q, const struct workqueue_ops *ops, void *userdata);
void workqueue_push(struct workqueue *q, struct workqueue_item *item);
/* The first failure so far, or 0. */
int workqueue_error(struct workqueue *q);
/*
 * Wait for the queue to drain and the workers to end.  Returns the first failure (0 if none)
 * and hands its item to the caller in *ret_failed (to release); *ret_done counts the jobs taken
 * off the queue, run or not.  Either may be NULL.
 */
int workqueue_finish(struct workqueue *q, struct workqueue_item **ret_failed, size_t *ret_done);
