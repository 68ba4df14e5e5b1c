// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay source: the file is mapped once and every frame is handed to the
 * detector in place. Formats: Y4M (mono or 4:2:0), the virtual sensor's
 * VIGIL-RAW (header line then raw GREY/NV12 frames), and headerless raw
 * GREY/NV12/I420/YUYV with the size and rate from the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigild.h"

struct replay {
	const uint8_t *map;
	size_t len;
	struct vigil_y4m *y4m;		/* or raw: */
	size_t raw_first, raw_pos, frame_size;
	enum vigil_pixfmt fmt;
	unsigned int width, height, fps_num, fps_den;
	uint32_t seq;			/* frames handed out, across loops */
	size_t released;		/* mapping before this is dropped */
};

/* Give back the pages of frames already processed, every RELEASE_BYTES. */
#define RELEASE_BYTES (8u << 20)

static int parse_raw_header(struct replay *r, const char *path, char *err,
			    size_t errlen)
{
	struct vigil_raw_info in;
	const char *why;
	const int ret = vigil_raw_header(r->map, r->len, &in, &why);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, why);
		return ret;
	}
	r->fmt = in.fmt;
	r->width = in.width;
	r->height = in.height;
	r->raw_first = in.header_len;
	return 0;
}

int replay_open(const struct vigil_config *c, const char *path,
		struct replay **out, char *err, size_t errlen)
{
	struct replay *r;
	struct stat st;
	const char *why;
	int fd, ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		goto fail;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-ret));
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular non-empty file", path);
		close(fd);
		goto fail;
	}
	r->len = (size_t)st.st_size;
	r->map = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (r->map == MAP_FAILED) {
		ret = -errno;
		r->map = NULL;
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(-ret));
		goto fail;
	}
	madvise((void *)r->map, r->len, MADV_SEQUENTIAL);

	if (r->len >= 9 && !memcmp(r->map, "YUV4MPEG2", 9)) {
		const struct vigil_y4m_info *in;

		ret = vigil_y4m_new(r->map, r->len, &r->y4m, &why);
		if (ret) {
			snprintf(err, errlen, "%s: %s", path, why);
			goto fail;
		}
		in = vigil_y4m_info(r->y4m);
		r->fmt = in->fmt;
		r->width = in->width;
		r->height = in->height;
		r->fps_num = in->fps_num;
		r->fps_den = in->fps_den;
	} else {
		if (vigil_raw_is(r->map, r->len)) {
			ret = parse_raw_header(r, path, err, errlen);
			if (ret)
				goto fail;
		} else {
			if (!c->width || !c->height) {
				ret = -EINVAL;
				snprintf(err, errlen,
					 "%s: not Y4M or VIGIL-RAW; raw replay needs width and height (--size WxH)",
					 path);
				goto fail;
			}
			r->fmt = c->pixfmt;
			r->width = c->width;
			r->height = c->height;
		}
		r->fps_num = c->fps;
		r->fps_den = 1;
		ret = vigil_pixfmt_frame_size(r->fmt, r->width, r->height,
					      &r->frame_size);
		if (ret) {
			snprintf(err, errlen, "%s: bad frame size %ux%u", path,
				 r->width, r->height);
			goto fail;
		}
		r->raw_pos = r->raw_first;
	}
	*out = r;
	return 0;
fail:
	replay_free(r);
	return ret;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	vigil_y4m_free(r->y4m);
	if (r->map)
		munmap((void *)r->map, r->len);
	free(r);
}

void replay_geometry(const struct replay *r, unsigned int *w, unsigned int *h,
		     unsigned int *fps_num, unsigned int *fps_den)
{
	*w = r->width;
	*h = r->height;
	*fps_num = r->fps_num;
	*fps_den = r->fps_den;
}

enum vigil_pixfmt replay_format(const struct replay *r)
{
	return r->fmt;
}

int replay_next(struct replay *r, struct vigil_frame *f, char *err,
		size_t errlen)
{
	const uint8_t *data;
	size_t fsize;
	int ret;

	if (r->y4m) {
		ret = vigil_y4m_next(r->y4m, &data);
		if (ret == -ENODATA)
			return ret;
		if (ret) {
			snprintf(err, errlen, "frame %u: %s",
				 vigil_y4m_frame_index(r->y4m),
				 vigil_y4m_error(r->y4m));
			return ret;
		}
		fsize = vigil_y4m_info(r->y4m)->frame_size;
	} else {
		if (r->raw_pos == r->len)
			return -ENODATA;
		if (r->len - r->raw_pos < r->frame_size) {
			snprintf(err, errlen,
				 "truncated frame at offset %zu (%zu of %zu bytes)",
				 r->raw_pos, r->len - r->raw_pos, r->frame_size);
			return -EPIPE;
		}
		data = r->map + r->raw_pos;
		r->raw_pos += r->frame_size;
		fsize = r->frame_size;
	}
	{
		/* RSS stays bounded however long the file: drop the pages of
		 * frames already processed (the page cache keeps them) */
		const size_t page = (size_t)sysconf(_SC_PAGESIZE);
		const size_t upto = ((size_t)(data - r->map)) & ~(page - 1);

		if (upto > r->released + RELEASE_BYTES) {
			madvise((void *)(r->map + r->released), upto - r->released,
				MADV_DONTNEED);
			r->released = upto;
		}
	}
	ret = vigil_frame_view(f, r->fmt, r->width, r->height, 0, data, fsize);
	if (ret) {
		snprintf(err, errlen, "bad frame: %s", strerror(-ret));
		return ret;
	}
	f->seq = r->seq++;
	return 0;
}

void replay_rewind(struct replay *r)
{
	if (r->y4m)
		vigil_y4m_rewind(r->y4m);
	r->raw_pos = r->raw_first;
	r->released = 0;
}

int pir_script_load(struct pir_script *s, const char *path, char *err,
		    size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char line[256];
	unsigned int lineno = 0, cap = 0;
	uint64_t last = 0;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "cannot open PIR events %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct vigil_pir_event ev;
		int r;

		lineno++;
		r = vigil_pir_parse_line(line, &ev);
		if (r == 0)
			continue;
		if (r < 0 || ev.ts_ns < last) {
			snprintf(err, errlen,
				 "%s:%u: expected '<seconds> <0|1>' in time order",
				 path, lineno);
			ret = -EINVAL;
			break;
		}
		last = ev.ts_ns;
		if (s->n == cap) {
			struct vigil_pir_event *n;

			cap = cap ? cap * 2 : 64;
			n = realloc(s->ev, cap * sizeof(*n));
			if (!n) {
				ret = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				break;
			}
			s->ev = n;
		}
		ev.seq = s->n;
		s->ev[s->n++] = ev;
	}
	fclose(fp);
	if (ret)
		pir_script_free(s);
	return ret;
}

void pir_script_free(struct pir_script *s)
{
	free(s->ev);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- */
/* The replay source: frames at start + n / fps, PIR edges from the side
 * file at their times, paced by a timeout (real time) or pumped (fast). */

enum { REPLAY_TAG_FRAME = 1 };

struct replay_source {
	struct replay *r;
	struct pir_script pir;
	uint64_t base_ns;		/* time of frame 0 */
	uint64_t interval_ns;
	uint64_t loop_base_ns;		/* time of frame 0 of this pass */
	uint64_t frames;		/* frames delivered */
	struct __kernel_timespec ts;	/* the frame timer */
};

static int rsrc_open(struct source *s, const char *path, char *err,
		     size_t errlen)
{
	const struct vigil_config *c = s->cfg;
	struct replay_source *rs = calloc(1, sizeof(*rs));
	unsigned int num, den;
	int ret;

	if (!rs)
		return -ENOMEM;
	s->priv = rs;
	ret = replay_open(c, path, &rs->r, err, errlen);
	if (ret)
		return ret;
	replay_geometry(rs->r, &s->width, &s->height, &num, &den);
	s->fmt = replay_format(rs->r);
	if (!num || !den) {
		snprintf(err, errlen, "%s: bad frame rate %u/%u", path, num, den);
		return -EINVAL;
	}
	rs->interval_ns = (uint64_t)den * 1000000000ULL / num;
	s->fps_num = num;
	s->fps_den = den;
	if (c->pir_events[0]) {
		ret = pir_script_load(&rs->pir, c->pir_events, err, errlen);
		if (ret)
			return ret;
		s->has_pir = true;
	}
	s->live = false;
	s->fast = !c->realtime;
	rs->base_ns = rs->loop_base_ns = mono_ns();
	return 0;
}

/* Deliver the side-file PIR edges due up to @until. */
static void rsrc_pir_until(struct source *s, uint64_t until)
{
	struct replay_source *rs = s->priv;

	while (rs->pir.next < rs->pir.n) {
		struct vigil_pir_event e = rs->pir.ev[rs->pir.next];

		e.ts_ns += rs->loop_base_ns;
		if (e.ts_ns > until)
			break;
		rs->pir.next++;
		s->cb.pir(s->cb.arg, &e);
	}
}

/* Deliver the next frame; returns 0, 1 at the end, or -errno. */
static int rsrc_step(struct source *s)
{
	struct replay_source *rs = s->priv;
	struct vigil_frame f;
	char err[256];
	int ret;

	ret = replay_next(rs->r, &f, err, sizeof(err));
	if (ret == -ENODATA && s->cfg->loop && rs->frames) {
		rsrc_pir_until(s, UINT64_MAX);
		replay_rewind(rs->r);
		ret = replay_next(rs->r, &f, err, sizeof(err));
		rs->loop_base_ns = rs->base_ns + (uint64_t)f.seq * rs->interval_ns;
		rs->pir.next = 0;
	}
	if (ret == -ENODATA)
		return 1;
	if (ret) {
		fprintf(stderr, "vigild: replay: %s\n", err);
		return ret;
	}
	f.ts_ns = rs->base_ns + (uint64_t)f.seq * rs->interval_ns;
	rsrc_pir_until(s, f.ts_ns);
	rs->frames++;
	return s->cb.frame(s->cb.arg, &f);
}

static int rsrc_schedule(struct source *s)
{
	struct replay_source *rs = s->priv;

	return loop_timeout_abs(s->loop, rs->base_ns + rs->frames * rs->interval_ns,
				&rs->ts, LOOP_TAG(s->id, REPLAY_TAG_FRAME));
}

static int rsrc_start(struct source *s)
{
	return s->fast ? 0 : rsrc_schedule(s);
}

static int rsrc_ready(struct source *s, unsigned int tag,
		      const struct io_uring_cqe *cqe)
{
	int ret;

	if (tag != REPLAY_TAG_FRAME)
		return 0;
	if (cqe->res != -ETIME && cqe->res < 0) {
		fprintf(stderr, "vigild: replay: frame timer: %s\n",
			strerror(-cqe->res));
		return cqe->res;
	}
	ret = rsrc_step(s);
	if (ret)
		return ret;
	return rsrc_schedule(s);
}

static void rsrc_close(struct source *s)
{
	struct replay_source *rs = s->priv;

	if (!rs)
		return;
	replay_free(rs->r);
	pir_script_free(&rs->pir);
	free(rs);
	s->priv = NULL;
}

const struct source_ops source_replay_ops = {
	.name = "replay",
	.prefix = "replay:",
	.open = rsrc_open,
	.start = rsrc_start,
	.ready = rsrc_ready,
	.pump = rsrc_step,
	.close = rsrc_close,
};
