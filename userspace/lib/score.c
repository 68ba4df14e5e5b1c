// SPDX-License-Identifier: LGPL-2.1-or-later
/* Alarms of a run against the ground truth of a labelled scene. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libvigil.h"
#include "vigil-internal.h"

__attribute__((format(printf, 2, 3)))
static void note(struct vigil_score *o, const char *fmt, ...);

static void note(struct vigil_score *o, const char *fmt, ...)
{
	const size_t len = strlen(o->detail);
	va_list ap;

	if (len + 2 >= sizeof(o->detail))
		return;
	if (len)
		strcat(o->detail, ", ");
	va_start(ap, fmt);
	vsnprintf(o->detail + strlen(o->detail),
		  sizeof(o->detail) - strlen(o->detail), fmt, ap);
	va_end(ap);
}

void vigil_score_scene(const struct vigil_scene *s, const uint32_t *starts,
		       const uint32_t *ends, unsigned int n, unsigned int tail,
		       unsigned int max_delay, struct vigil_score *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < s->nitems; i++) {
		const struct vigil_scene_item *it = &s->items[i];
		long delay = -1;

		out->warm |= it->warm;
		out->pet |= it->kind == VIGIL_SCENE_PET;
		if (!it->alarm)
			continue;
		out->must++;
		for (unsigned int e = 0; e < n && delay < 0; e++) {
			if (starts[e] < it->start && ends[e] >= it->start)
				delay = 0;	/* already alarming */
			else if (starts[e] >= it->start && starts[e] < it->end)
				delay = (long)(starts[e] - it->start);
		}
		if (delay < 0) {
			note(out, "MISSED %u-%u", it->start, it->end);
			continue;
		}
		out->detected++;
		out->delay_sum += (unsigned int)delay;
		if ((unsigned int)delay > out->delay_max)
			out->delay_max = (unsigned int)delay;
		if ((unsigned int)delay > max_delay)
			out->late++;
		note(out, "delay %ld", delay);
	}
	for (unsigned int e = 0; e < n; e++) {
		bool ok = false;

		for (unsigned int i = 0; i < s->nitems && !ok; i++) {
			const struct vigil_scene_item *it = &s->items[i];

			ok = it->alarm && starts[e] >= it->start &&
			     starts[e] < it->end + tail;
		}
		if (!ok) {
			out->false_alarms++;
			note(out, "FA@%u", starts[e]);
		}
	}
}
