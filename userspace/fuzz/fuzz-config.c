// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the INI configuration and the PIR side-file lines. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libvigil.h"
#include "vigil-internal.h"

const char *const fuzz_corpus[] = {
	"userspace/vigild.conf.example", "userspace/fuzz/corpus/config",
	"userspace/fuzz/corpus/pir", NULL,
};

const struct fuzz_seed fuzz_seeds[] = { { NULL, 0 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct vigil_config c;
	struct vigil_pir_event ev;
	char err[256];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	vigil_config_default(&c);
	if (!vigil_config_load_string(&c, text, "fuzz", err, sizeof(err)))
		vigil_detect_params_check(&c.detect);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		vigil_pir_parse_line(line, &ev);
	free(text);
	return 0;
}
