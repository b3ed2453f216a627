/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "sha256.h"
#include "strutil.h"

static const struct output_ops *const outputs[] = {
	&output_gpt_ext4_ops,
	&output_tar_ops,
	&output_directory_ops,
};

const struct output_ops *output_find(const char *format)
{
	for (size_t i = 0; i < ELEMENTSOF(outputs); i++)
		if (streq(outputs[i]->name, format))
			return outputs[i];
	return NULL;
}

void output_derive_uuid(const uint8_t seed[16], const char *purpose, uint8_t ret[16])
{
	struct sha256_ctx c;
	uint8_t d[32];

	if (sha256_init(&c) < 0)
		abort(); /* allocation failure; there is no sane UUID to return */
	sha256_update(&c, seed, 16);
	sha256_update(&c, purpose, strlen(purpose));
	sha256_final(&c, d);
	memcpy(ret, d, 16);
	ret[6] = (ret[6] & 0x0f) | 0x40; /* version 4: indistinguishable from random */
	ret[8] = (ret[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}
