// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PIR on a GPIO line through libgpiod, built against the 1.6 API (Debian
 * 12) or the 2.x API (Debian 13, current Yocto): VIGIL_GPIOD_API, set by the
 * Makefile from libgpiod's pkg-config version.
 *
 * Edge times: with 2.x the request asks for GPIOD_LINE_CLOCK_MONOTONIC
 * explicitly. The 1.6 API reads the v1 line-event uAPI, whose timestamps
 * the kernel takes with ktime_get_ns() (CLOCK_MONOTONIC) since Linux 5.7
 * (gpiolib-cdev.c, lineevent_irq_handler()), so both agree with V4L2
 * buffer timestamps on the kernels vigild supports.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpiod.h>

#include "pir-gpio.h"

#ifndef VIGIL_GPIOD_API
#define VIGIL_GPIOD_API 1
#endif

#define NEVENTS 64

struct pir_gpio {
	struct gpiod_chip *chip;
	unsigned int offset;
	int fd;
	uint32_t seq;			/* edges delivered */
#if VIGIL_GPIOD_API >= 2
	struct gpiod_line_request *req;
	struct gpiod_edge_event_buffer *buf;
	unsigned long last_seqno;	/* line sequence number of the last edge */
#else
	struct gpiod_line *line;
	struct gpiod_line_event evs[NEVENTS];
#endif
	char name[160];
};

int pir_gpio_api(void)
{
	return VIGIL_GPIOD_API;
}

/* ---- the two APIs behind a few helpers ---------------------------------- */

#if VIGIL_GPIOD_API >= 2
static bool chip_has_label(struct gpiod_chip *c, const char *label)
{
	struct gpiod_chip_info *info = gpiod_chip_get_info(c);
	bool ret = info && !strcmp(gpiod_chip_info_get_label(info), label);

	gpiod_chip_info_free(info);
	return ret;
}

static unsigned int chip_nlines(struct gpiod_chip *c)
{
	struct gpiod_chip_info *info = gpiod_chip_get_info(c);
	unsigned int n = info ? (unsigned int)gpiod_chip_info_get_num_lines(info) : 0;

	gpiod_chip_info_free(info);
	return n;
}

static int line_by_name(struct gpiod_chip *c, const char *name)
{
	return gpiod_chip_get_line_offset_from_name(c, name);
}

static void line_label(struct gpiod_chip *c, unsigned int offset, char *buf,
		       size_t len)
{
	struct gpiod_line_info *info = gpiod_chip_get_line_info(c, offset);
	const char *n = info ? gpiod_line_info_get_name(info) : NULL;

	snprintf(buf, len, "%s", n ? n : "unnamed");
	gpiod_line_info_free(info);
}

static int request(struct pir_gpio *p, const char *consumer)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	int ret = -ENOMEM;

	if (!ls || !lc || !rc)
		goto out;
	if (gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT) ||
	    gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_BOTH) ||
	    gpiod_line_settings_set_event_clock(ls, GPIOD_LINE_CLOCK_MONOTONIC) ||
	    gpiod_line_config_add_line_settings(lc, &p->offset, 1, ls)) {
		ret = -errno;
		goto out;
	}
	gpiod_request_config_set_consumer(rc, consumer);
	p->req = gpiod_chip_request_lines(p->chip, rc, lc);
	if (!p->req) {
		ret = -errno;
		goto out;
	}
	p->buf = gpiod_edge_event_buffer_new(NEVENTS);
	if (!p->buf)
		goto out;
	p->fd = gpiod_line_request_get_fd(p->req);
	ret = 0;
out:
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(ls);
	return ret;
}

static void release(struct pir_gpio *p)
{
	gpiod_edge_event_buffer_free(p->buf);
	if (p->req)
		gpiod_line_request_release(p->req);
}

int pir_gpio_level(struct pir_gpio *p)
{
	const enum gpiod_line_value v = gpiod_line_request_get_value(p->req, p->offset);

	return v == GPIOD_LINE_VALUE_ERROR ? -errno : v == GPIOD_LINE_VALUE_ACTIVE;
}

static int read_edges(struct pir_gpio *p, struct vigil_pir_event *ev,
		      unsigned int max, unsigned int *n)
{
	const int want = max < NEVENTS ? (int)max : NEVENTS;
	int got = gpiod_line_request_read_edge_events(p->req, p->buf, (size_t)want);

	if (got < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (int i = 0; i < got; i++) {
		struct gpiod_edge_event *e = gpiod_edge_event_buffer_get_event(p->buf, (unsigned long)i);
		const unsigned long sn = gpiod_edge_event_get_line_seqno(e);

		ev[*n] = (struct vigil_pir_event){
			.ts_ns = gpiod_edge_event_get_timestamp_ns(e),
			.level = gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE,
			.seq = p->seq++,
			.lost = sn > p->last_seqno + 1 ? (uint32_t)(sn - p->last_seqno - 1) : 0,
		};
		p->last_seqno = sn;
		(*n)++;
	}
	return 0;
}

#else /* libgpiod 1.6 */

static bool chip_has_label(struct gpiod_chip *c, const char *label)
{
	return !strcmp(gpiod_chip_label(c), label);
}

static unsigned int chip_nlines(struct gpiod_chip *c)
{
	return gpiod_chip_num_lines(c);
}

static int line_by_name(struct gpiod_chip *c, const char *name)
{
	struct gpiod_line *l = gpiod_chip_find_line(c, name);

	return l ? (int)gpiod_line_offset(l) : -1;
}

static void line_label(struct gpiod_chip *c, unsigned int offset, char *buf,
		       size_t len)
{
	struct gpiod_line *l = gpiod_chip_get_line(c, offset);
	const char *n = l ? gpiod_line_name(l) : NULL;

	snprintf(buf, len, "%s", n ? n : "unnamed");
}

static int request(struct pir_gpio *p, const char *consumer)
{
	p->line = gpiod_chip_get_line(p->chip, p->offset);
	if (!p->line)
		return -errno;
	if (gpiod_line_request_both_edges_events(p->line, consumer)) {
		const int ret = -errno;

		p->line = NULL;
		return ret;
	}
	p->fd = gpiod_line_event_get_fd(p->line);
	return p->fd < 0 ? -EIO : 0;
}

static void release(struct pir_gpio *p)
{
	if (p->line)
		gpiod_line_release(p->line);
}

int pir_gpio_level(struct pir_gpio *p)
{
	const int v = gpiod_line_get_value(p->line);

	return v < 0 ? -errno : v;
}

static int read_edges(struct pir_gpio *p, struct vigil_pir_event *ev,
		      unsigned int max, unsigned int *n)
{
	const int want = max < NEVENTS ? (int)max : NEVENTS;
	int got = gpiod_line_event_read_fd_multiple(p->fd, p->evs, (unsigned int)want);

	if (got < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (int i = 0; i < got; i++) {
		ev[*n] = (struct vigil_pir_event){
			.ts_ns = (uint64_t)p->evs[i].ts.tv_sec * 1000000000ULL +
				 (uint64_t)p->evs[i].ts.tv_nsec,
			.level = p->evs[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
			.seq = p->seq++,
		};
		(*n)++;
	}
	return 0;
}
#endif

/* ---- finding the chip and the line -------------------------------------- */

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int cmp_chips(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return atoi(x + 8) - atoi(y + 8);	/* after "gpiochip" */
}

/* The gpiochip character devices in /dev, by number; *@n of them. */
static char **list_chips(unsigned int *n)
{
	DIR *dir = opendir("/dev");
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		char **nv;

		if (strncmp(de->d_name, "gpiochip", 8) || !is_number(de->d_name + 8))
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[*n] = strdup(de->d_name);
		if (v[*n])
			(*n)++;
	}
	closedir(dir);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_chips);
	return v;
}

static void free_chips(char **v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* 0 when /dev/@name exists (a chip name such as gpiochip0). */
static int access_dev(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/%s", name);
	return access(path, F_OK) ? -errno : 0;
}

static struct gpiod_chip *open_dev(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/%s", name);
	return gpiod_chip_open(path);
}

/*
 * Open the chip @spec names (path, gpiochipN or label); with no @spec, the
 * first chip holding a line named @line. Sets p->chip and p->offset.
 */
static int find_line(struct pir_gpio *p, const char *spec, const char *line,
		     char *err, size_t errlen)
{
	const bool by_offset = is_number(line);
	char **chips = NULL, cname[64] = "", lname[64];
	unsigned int nchips = 0;
	int ret, off = -1;

	if (spec && *spec && (strchr(spec, '/') || !access_dev(spec))) {
		p->chip = strchr(spec, '/') ? gpiod_chip_open(spec) : open_dev(spec);
		if (!p->chip) {
			ret = -errno;
			snprintf(err, errlen, "cannot open gpiochip %s: %s", spec, strerror(-ret));
			return ret;
		}
		snprintf(cname, sizeof(cname), "%s", strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec);
	} else {
		if (!(spec && *spec) && by_offset) {
			snprintf(err, errlen, "PIR line %s given by offset needs a chip", line);
			return -EINVAL;
		}
		chips = list_chips(&nchips);
		for (unsigned int i = 0; i < nchips && !p->chip; i++) {
			struct gpiod_chip *c = open_dev(chips[i]);

			if (!c)
				continue;
			if (spec && *spec ? chip_has_label(c, spec) : line_by_name(c, line) >= 0) {
				p->chip = c;
				snprintf(cname, sizeof(cname), "%s", chips[i]);
			} else {
				gpiod_chip_close(c);
			}
		}
		free_chips(chips, nchips);
		if (!p->chip) {
			if (spec && *spec)
				snprintf(err, errlen, "no gpiochip named or labelled '%s' (%u chips in /dev)",
					 spec, nchips);
			else
				snprintf(err, errlen, "no GPIO line named '%s' on any of %u gpiochips",
					 line, nchips);
			return -ENOENT;
		}
	}
	if (by_offset) {
		off = atoi(line);
		if ((unsigned int)off >= chip_nlines(p->chip)) {
			snprintf(err, errlen, "%s has %u lines, no line %d", cname,
				 chip_nlines(p->chip), off);
			return -ENOENT;
		}
	} else {
		off = line_by_name(p->chip, line);
		if (off < 0) {
			snprintf(err, errlen, "%s has no line named '%s'", cname, line);
			return -ENOENT;
		}
	}
	p->offset = (unsigned int)off;
	line_label(p->chip, p->offset, lname, sizeof(lname));
	snprintf(p->name, sizeof(p->name), "%s line %u (%s)", cname, p->offset, lname);
	return 0;
}

/* ---- the source --------------------------------------------------------- */

int pir_gpio_open(const char *chip, const char *line, const char *consumer,
		  struct pir_gpio **out, char *err, size_t errlen)
{
	struct pir_gpio *p;
	int ret, fl;

	*out = NULL;
	if (!line || !*line) {
		snprintf(err, errlen, "no PIR line given (an offset or a line name)");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = -1;
	ret = find_line(p, chip, line, err, errlen);
	if (ret)
		goto fail;
	ret = request(p, consumer);
	if (ret) {
		snprintf(err, errlen, "cannot request %s for both edges: %s%s", p->name,
			 strerror(-ret), ret == -EBUSY ? " (the line is in use; see gpioinfo)" : "");
		goto fail;
	}
	/* edges are read after POLLIN; never block if another reader took them */
	fl = fcntl(p->fd, F_GETFL);
	if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: O_NONBLOCK: %s", p->name, strerror(-ret));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	pir_gpio_free(p);
	return ret;
}

void pir_gpio_free(struct pir_gpio *p)
{
	if (!p)
		return;
	release(p);
	if (p->chip)
		gpiod_chip_close(p->chip);
	free(p);
}

int pir_gpio_fd(const struct pir_gpio *p)
{
	return p->fd;
}

const char *pir_gpio_name(const struct pir_gpio *p)
{
	return p->name;
}

int pir_gpio_read(struct pir_gpio *p, struct vigil_pir_event *ev,
		  unsigned int max, unsigned int *n)
{
	*n = 0;
	return max ? read_edges(p, ev, max, n) : 0;
}
