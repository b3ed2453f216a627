/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for runimg's settings files: parse (every section, including the network
 * and resource keys), then merge into a command line that has some settings of its own.
 * Memory errors (ASan) and a property: a file that parsed merges without error.
 */
#include <stdint.h>
#include <stdlib.h>

#include "settings-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_settings cli, file;
	char *msg = NULL;

	settings_init(&cli);
	settings_init(&file);
	(void)settings_add_env(&cli, "A=1");
	(void)settings_add_bind(&cli, "/srv:/mnt", false);
	if (settings_file_parse(&file, (const char *)data, size, "fuzz.conf", &msg) >= 0 &&
	    settings_merge_file(&cli, &file) < 0)
		abort();
	free(msg);
	settings_done(&file);
	settings_done(&cli);
	return 0;
}
