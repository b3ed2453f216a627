/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

int sha256_init(struct sha256_ctx *c)
{
	c->evp = EVP_MD_CTX_new();
	if (!c->evp)
		return -ENOMEM;
	if (EVP_DigestInit_ex(c->evp, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->evp);
		c->evp = NULL;
		return -EIO;
	}
	return 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	if (c->evp)
		EVP_DigestUpdate(c->evp, data, len);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[32])
{
	unsigned len = 32;

	if (c->evp)
		EVP_DigestFinal_ex(c->evp, out, &len);
	EVP_MD_CTX_free(c->evp);
	c->evp = NULL;
}

void sha256_hex(const uint8_t digest[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* ---- the stream: a ring of buffers, the writer fills, the thread hashes ------------------- */

#define STREAM_BUFS 4
#define STREAM_BUF_SIZE (1u << 20)

struct sha256_stream {
	struct sha256_ctx ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *buf[STREAM_BUFS];
	size_t len[STREAM_BUFS];
	size_t head, tail; /* buffers [tail, head) are full, head's is being filled */
	bool done;
};

static void *stream_main(void *p)
{
	struct sha256_stream *s = p;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->tail == s->head && !s->done)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->tail == s->head)
			break;
		size_t i = s->tail % STREAM_BUFS;
		pthread_mutex_unlock(&s->lock);
		sha256_update(&s->ctx, s->buf[i], s->len[i]);
		pthread_mutex_lock(&s->lock);
		s->len[i] = 0;
		s->tail++;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void stream_free(struct sha256_stream *s)
{
	for (size_t i = 0; i < STREAM_BUFS; i++)
		free(s->buf[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

int sha256_stream_new(struct sha256_stream **ret)
{
	struct sha256_stream *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	for (size_t i = 0; i < STREAM_BUFS; i++)
		if (!(s->buf[i] = malloc(STREAM_BUF_SIZE))) {
			stream_free(s);
			return -ENOMEM;
		}
	r = sha256_init(&s->ctx);
	if (r == 0 && (r = -pthread_create(&s->thread, NULL, stream_main, s)) < 0)
		sha256_final(&s->ctx, (uint8_t[32]){ 0 });
	if (r < 0) {
		stream_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* Hand the buffer being filled to the thread (the caller holds the lock). */
static void stream_push(struct sha256_stream *s)
{
	s->head++;
	pthread_cond_broadcast(&s->cond);
	while (s->head - s->tail == STREAM_BUFS)
		pthread_cond_wait(&s->cond, &s->lock);
}

int sha256_stream_feed(struct sha256_stream *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	pthread_mutex_lock(&s->lock);
	while (len > 0) {
		size_t i = s->head % STREAM_BUFS, n = STREAM_BUF_SIZE - s->len[i];

		if (n > len)
			n = len;
		pthread_mutex_unlock(&s->lock); /* the thread never touches buffer head */
		memcpy(s->buf[i] + s->len[i], p, n);
		pthread_mutex_lock(&s->lock);
		s->len[i] += n;
		p += n;
		len -= n;
		if (s->len[i] == STREAM_BUF_SIZE)
			stream_push(s);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void stream_stop(struct sha256_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->len[s->head % STREAM_BUFS] > 0) {
		s->head++;
		pthread_cond_broadcast(&s->cond);
	}
	s->done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
}

void sha256_stream_finish(struct sha256_stream *s, uint8_t out[32])
{
	stream_stop(s);
	sha256_final(&s->ctx, out);
	stream_free(s);
}

void sha256_stream_abort(struct sha256_stream *s)
{
	uint8_t d[32];

	if (s)
		sha256_stream_finish(s, d);
}
