/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "workqueue.h"

static struct workqueue_item *next_item(struct workqueue *q)
{
	struct workqueue_item *it;

	pthread_mutex_lock(&q->lock);
	while (!q->head && !q->closing)
		pthread_cond_wait(&q->cond, &q->lock);
	it = q->head;
	if (it && !(q->head = it->next))
		q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return it;
}

static void *worker(void *userdata)
{
	struct workqueue *q = userdata;
	struct workqueue_item *it;
	bool keep;
	int r;

	while ((it = next_item(q))) {
		r = workqueue_error(q) ? 0 : q->ops->run(it, q->userdata);
		pthread_mutex_lock(&q->lock);
		q->done++;
		keep = r < 0 && !q->error;
		if (keep) {
			q->error = r;
			q->failed = it;
		}
		pthread_mutex_unlock(&q->lock);
		if (!keep)
			q->ops->release(it);
	}
	return NULL;
}

int workqueue_start(struct workqueue *q, const struct workqueue_ops *ops, void *userdata)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = WORKQUEUE_MAX_THREADS;

	if (cpus < 1)
		n = 1;
	else if (cpus < WORKQUEUE_MAX_THREADS)
		n = (unsigned)cpus;
	*q = (struct workqueue){ .ops = ops, .userdata = userdata };
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	for (; q->n_threads < n; q->n_threads++)
		if (pthread_create(&q->threads[q->n_threads], NULL, worker, q) != 0)
			break;
	if (q->n_threads)
		return 0;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	return -EAGAIN;
}

void workqueue_push(struct workqueue *q, struct workqueue_item *item)
{
	item->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = item;
	else
		q->head = item;
	q->tail = item;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

int workqueue_error(struct workqueue *q)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = q->error;
	pthread_mutex_unlock(&q->lock);
	return r;
}

int workqueue_finish(struct workqueue *q, struct workqueue_item **ret_failed, size_t *ret_done)
{
	pthread_mutex_lock(&q->lock);
	q->closing = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	if (ret_failed)
		*ret_failed = q->failed;
	else if (q->failed)
		q->ops->release(q->failed);
	if (ret_done)
		*ret_done = q->done;
	return q->error;
}
