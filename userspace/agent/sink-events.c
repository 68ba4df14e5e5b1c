// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Event log sink: one JSON object per line, to stdout ('-') or appended to
 * a file. Every line is flushed as it is written, so a failed write (full
 * disk, a reader that went away) is seen at once and reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigild.h"

struct events {
	FILE *fp;
	bool is_stdout;
};

static int events_fopen(struct sink *k, struct events *e, char *err,
			size_t errlen)
{
	const char *path = k->cfg->events;

	if (!strcmp(path, "-")) {
		e->fp = stdout;
		e->is_stdout = true;
		return 0;
	}
	e->fp = fopen(path, "ae");
	if (!e->fp) {
		const int ret = -errno;

		snprintf(err, errlen, "cannot open event log %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static int events_open(struct sink *k, char *err, size_t errlen)
{
	struct events *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	ret = events_fopen(k, e, err, errlen);
	if (ret) {
		free(e);
		return ret;
	}
	k->priv = e;
	return 0;
}

static int events_event(struct sink *k, const struct vigil_event *ev)
{
	struct events *e = k->priv;
	char buf[2048];
	const int n = vigil_event_json(ev, buf, sizeof(buf));

	if (n < 0)
		return n;
	errno = 0;
	if (fwrite(buf, 1, (size_t)n, e->fp) != (size_t)n || fflush(e->fp)) {
		const int ret = errno ? -errno : -EIO;

		clearerr(e->fp);
		return ret;
	}
	return 0;
}

static int events_fclose(struct events *e)
{
	int ret = 0;

	if (!e->fp)
		return 0;
	errno = 0;
	if (e->is_stdout ? fflush(e->fp) : fclose(e->fp))
		ret = errno ? -errno : -EIO;
	e->fp = NULL;
	return ret;
}

static int events_reopen(struct sink *k, char *err, size_t errlen)
{
	struct events *e = k->priv;
	int ret;

	if (e->is_stdout)
		return 0;	/* nothing to rotate */
	ret = events_fclose(e);
	if (ret) {
		snprintf(err, errlen, "closing event log %s: %s",
			 k->cfg->events, strerror(-ret));
		events_fopen(k, e, err, errlen);
		return ret;
	}
	return events_fopen(k, e, err, errlen);
}

static int events_close(struct sink *k)
{
	struct events *e = k->priv;
	int ret;

	if (!e)
		return 0;
	ret = events_fclose(e);
	free(e);
	k->priv = NULL;
	return ret;
}

const struct sink_ops sink_events_ops = {
	.name = "events",
	.open = events_open,
	.event = events_event,
	.reopen = events_reopen,
	.close = events_close,
};
