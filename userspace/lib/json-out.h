/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing a JSON line into a caller's buffer, for libvigil's event lines
 * (event.c) and sound alerts (audio.c). Private to the library.
 */
#ifndef VIGIL_JSON_OUT_H
#define VIGIL_JSON_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct out {
	char *buf;
	size_t len, pos;
	bool full;		/* something did not fit: the line is invalid */
};

/* Append printf-style; once something does not fit, nothing more is. */
__attribute__((format(printf, 2, 3)))
static inline void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
}

#endif /* VIGIL_JSON_OUT_H */
