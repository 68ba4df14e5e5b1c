// SPDX-License-Identifier: GPL-2.0-or-later
/* The source types vigild knows, chosen by the prefix of the source string. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigild.h"

static const struct source_ops *const source_types[] = {
	&source_replay_ops,
	&source_v4l2_ops,
};

int source_open(struct source *s, const char *spec, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(source_types) / sizeof(source_types[0]); i++) {
		const struct source_ops *ops = source_types[i];
		const size_t n = strlen(ops->prefix);

		if (!strncmp(spec, ops->prefix, n)) {
			s->ops = ops;
			return ops->open(s, spec + n, err, errlen);
		}
	}
	if (spec[0] == '/') {	/* a bare device path */
		s->ops = &source_v4l2_ops;
		return s->ops->open(s, spec, err, errlen);
	}
	snprintf(err, errlen, "source '%s': expected replay:FILE or v4l2:DEVICE",
		 spec);
	return -EINVAL;
}

void source_close(struct source *s)
{
	if (s->ops && s->ops->close)
		s->ops->close(s);
	s->ops = NULL;
}
