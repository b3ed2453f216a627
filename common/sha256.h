/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 for content addressing and manifests (libcrypto underneath: it uses SHA-NI). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct sha256_ctx {
	void *evp;
};

int sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and frees the context. */
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
void sha256_hex(const uint8_t digest[32], char hex[65]);

/*
 * A SHA-256 of a stream computed by a thread of its own, so that hashing an output as it is
 * written costs (on a machine with a core to spare) no time of the writer's: sha256_stream_feed
 * copies the data into one of a few buffers the thread hashes in order.  -ENOMEM, or the
 * errno of pthread_create.
 */
struct sha256_stream;
int sha256_stream_new(struct sha256_stream **ret);
int sha256_stream_feed(struct sha256_stream *s, const void *data, size_t len);
/* Waits for the thread, writes the digest of all that was fed and frees s. */
void sha256_stream_finish(struct sha256_stream *s, uint8_t out[32]);
/* Frees s without a digest (an error path). */
void sha256_stream_abort(struct sha256_stream *s);
