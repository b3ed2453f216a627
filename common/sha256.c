/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>

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
