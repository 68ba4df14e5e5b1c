// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pre-roll ring (preroll.h). The bytes live in one buffer of the budget's
 * size; each frame is contiguous in it (a frame that does not fit before
 * the end starts again at 0). The frames' descriptions are a FIFO that
 * grows by doubling, so nothing is allocated per frame.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preroll.h"

struct entry {
	size_t off, len;
	bool key;
	struct vigil_clip_frame_meta meta;
};

struct preroll {
	uint8_t *buf;
	size_t cap, max_frame;
	uint64_t keep_ns;
	struct entry *e;	/* FIFO of n entries from index first */
	unsigned int ecap, first, n;
	unsigned int keys;	/* keyframes held: groups */
	size_t tail;		/* end of the newest frame */
	size_t at;		/* reserved room */
	uint64_t used;
	uint64_t popped;	/* frames evicted so far: number of entry 0 */
	uint64_t pin;		/* frames from this number on stay */
};

int preroll_new(uint64_t budget, uint64_t keep_ns, size_t max_frame,
		struct preroll **out)
{
	struct preroll *p;

	if (!max_frame || budget < max_frame || budget > SIZE_MAX)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* pages are touched only as frames fill them */
	p->buf = malloc((size_t)budget);
	p->ecap = 256;
	p->e = calloc(p->ecap, sizeof(*p->e));
	if (!p->buf || !p->e) {
		preroll_free(p);
		return -ENOMEM;
	}
	p->cap = (size_t)budget;
	p->max_frame = max_frame;
	p->keep_ns = keep_ns;
	p->pin = UINT64_MAX;
	*out = p;
	return 0;
}

void preroll_free(struct preroll *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p->e);
	free(p);
}

static struct entry *ent(const struct preroll *p, unsigned int i)
{
	assert(i < p->n);
	return &p->e[(p->first + i) % p->ecap];
}

static void pop(struct preroll *p)
{
	const struct entry *h = ent(p, 0);

	p->used -= h->len;
	p->keys -= h->key;
	p->first = (p->first + 1) % p->ecap;
	p->n--;
	p->popped++;
}

/* Frames in the oldest group. */
static unsigned int group_len(const struct preroll *p)
{
	unsigned int i = 1;

	while (i < p->n && !ent(p, i)->key)
		i++;
	return i;
}

/* May the oldest group go (none of it pinned)? */
static bool evictable(const struct preroll *p)
{
	return p->popped + group_len(p) <= p->pin;
}

/* Drop the oldest group: its keyframe and every frame up to the next. */
static void evict_group(struct preroll *p)
{
	do
		pop(p);
	while (p->n && !ent(p, 0)->key);
}

/* Room for max_frame bytes at *at? */
static bool room(const struct preroll *p, size_t *at)
{
	size_t head;

	if (!p->n) {
		*at = 0;
		return true;
	}
	head = ent(p, 0)->off;
	if (p->tail > head) {
		if (p->cap - p->tail >= p->max_frame) {
			*at = p->tail;
			return true;
		}
		*at = 0;
		return head >= p->max_frame;
	}
	*at = p->tail;
	return head - p->tail >= p->max_frame;
}

uint8_t *preroll_reserve(struct preroll *p, bool *need_key)
{
	*need_key = false;
	while (!room(p, &p->at)) {
		if (evictable(p)) {
			evict_group(p);
			if (!p->n)
				*need_key = true;
		} else if (p->popped < p->pin) {
			/*
			 * The oldest group is pinned, but its first frames are
			 * copied already: they go, one by one, so a clip copying
			 * a group as large as the ring frees room as it goes
			 * rather than only once the whole group is copied.
			 */
			pop(p);
		} else {
			return NULL;
		}
	}
	return p->buf + p->at;
}

static int grow(struct preroll *p)
{
	const unsigned int ncap = p->ecap * 2;
	struct entry *e = calloc(ncap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->n; i++)
		e[i] = *ent(p, i);
	free(p->e);
	p->e = e;
	p->ecap = ncap;
	p->first = 0;
	return 0;
}

int preroll_commit(struct preroll *p, size_t len, bool key,
		   const struct vigil_clip_frame_meta *m)
{
	struct entry *e;
	uint64_t newest;
	int ret;

	assert(len <= p->max_frame);
	if (!key && !p->n)
		return -ENODATA;
	if (p->n == p->ecap) {
		ret = grow(p);
		if (ret)
			return ret;
	}
	p->n++;
	e = ent(p, p->n - 1);
	e->off = p->at;
	e->len = len;
	e->key = key;
	e->meta = *m;
	p->tail = p->at + len;
	p->used += len;
	p->keys += key;
	/* older than keep: drop whole groups, never the newest one */
	newest = m->mono_ns;
	while (p->keys > 1 && ent(p, 0)->meta.mono_ns + p->keep_ns < newest) {
		unsigned int next = 1;

		while (!ent(p, next)->key)
			next++;
		/* keep the group that still covers newest - keep */
		if (ent(p, next)->meta.mono_ns + p->keep_ns > newest || !evictable(p))
			break;
		evict_group(p);
	}
	return 0;
}

unsigned int preroll_count(const struct preroll *p)
{
	return p->n;
}

void preroll_get(const struct preroll *p, unsigned int i,
		 struct preroll_frame *f)
{
	const struct entry *e = ent(p, i);

	f->data = p->buf + e->off;
	f->len = e->len;
	f->key = e->key;
	f->meta = e->meta;
}

unsigned int preroll_start(const struct preroll *p, uint64_t trigger_ns,
			   uint64_t before_ns)
{
	const uint64_t from = trigger_ns > before_ns ? trigger_ns - before_ns : 0;
	unsigned int last = p->n;

	for (unsigned int i = 0; i < p->n; i++) {
		const struct entry *e = ent(p, i);

		if (!e->key)
			continue;
		if (e->meta.mono_ns >= from)
			return i;
		last = i;
	}
	return last;
}

uint64_t preroll_span_ns(const struct preroll *p)
{
	if (p->n < 2)
		return 0;
	return ent(p, p->n - 1)->meta.mono_ns - ent(p, 0)->meta.mono_ns;
}

uint64_t preroll_bytes(const struct preroll *p)
{
	return p->used;
}

uint64_t preroll_first(const struct preroll *p)
{
	return p->popped;
}

void preroll_pin(struct preroll *p, uint64_t from)
{
	p->pin = from;
}
