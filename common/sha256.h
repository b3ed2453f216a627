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
