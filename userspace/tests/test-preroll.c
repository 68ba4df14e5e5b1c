// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's pre-roll ring: bounded by bytes and by time, evicted by whole
 * keyframe groups, every held frame intact after the ring wraps.
 */
#include <stdint.h>

#include "preroll.h"
#include "t.h"

#define MS 1000000ULL

/* Frame @seq: @len bytes of a pattern derived from @seq. */
static void fill(uint8_t *d, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seq * 31 + i);
}

static bool intact(const struct preroll_frame *f, uint32_t seq)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] != (uint8_t)(seq * 31 + i))
			return false;
	return true;
}

/* Feed @n frames, 1 key in @keyint, 33 ms apart, sizes varying. */
static void feed(struct preroll *p, unsigned int n, unsigned int keyint,
		 size_t maxlen, unsigned int *forced)
{
	unsigned int since_key = 0;
	bool force = false;

	for (uint32_t s = 0; s < n; s++) {
		struct vigil_clip_frame_meta m = { .mono_ns = s * 33 * MS, .wall_ns = s };
		const size_t len = maxlen / 2 + (s * 7919) % (maxlen / 2);
		bool key = force || since_key == 0, need;
		uint8_t *d = preroll_reserve(p, &need);

		if (need) {
			key = true;
			(*forced)++;
		}
		fill(d, len, s);
		T_EQ(preroll_commit(p, len, key, &m), 0);
		since_key = key ? 1 : (since_key + 1) % keyint;
		force = false;
	}
}

static void check_held(const struct preroll *p, uint64_t budget)
{
	struct preroll_frame f;
	uint64_t sum = 0;

	T_ASSERT(preroll_count(p) > 0);
	preroll_get(p, 0, &f);
	T_ASSERT(f.key);	/* always starts on a keyframe */
	for (unsigned int i = 0; i < preroll_count(p); i++) {
		preroll_get(p, i, &f);
		sum += f.len;
		if (!intact(&f, (uint32_t)f.meta.wall_ns)) {
			fprintf(stderr, "frame %u (seq %llu) damaged\n", i,
				(unsigned long long)f.meta.wall_ns);
			t_failures++;
			break;
		}
	}
	T_EQ(sum, preroll_bytes(p));
	T_ASSERT(sum <= budget);
}

int main(void)
{
	struct preroll *p;
	struct preroll_frame f;
	unsigned int forced = 0, i;

	/* budget cannot hold one frame */
	T_EQ(preroll_new(1000, 0, 2000, &p), -EINVAL);

	/* time-bound: 1 s kept, groups of 10 frames (330 ms), big budget */
	T_EQ(preroll_new(1 << 20, 1000 * MS, 1000, &p), 0);
	feed(p, 300, 10, 1000, &forced);
	T_EQ(forced, 0);
	check_held(p, 1 << 20);
	/* holds at least 1 s, at most 1 s + one group */
	T_ASSERT(preroll_span_ns(p) >= 1000 * MS);
	T_ASSERT(preroll_span_ns(p) <= 1000 * MS + 10 * 33 * MS);
	/* start 0.5 s before the newest: the first keyframe at or after it */
	preroll_get(p, preroll_count(p) - 1, &f);
	i = preroll_start(p, f.meta.mono_ns, 500 * MS);
	T_ASSERT(i < preroll_count(p));
	{
		const uint64_t newest = f.meta.mono_ns;

		preroll_get(p, i, &f);
		T_ASSERT(f.key);
		T_ASSERT(f.meta.mono_ns >= newest - 500 * MS);
		T_ASSERT(f.meta.mono_ns < newest - 500 * MS + 10 * 33 * MS);
	}
	/* an empty pre-roll: nothing held */
	i = preroll_start(p, 0, 0);
	preroll_get(p, i, &f);
	T_ASSERT(f.key);
	preroll_free(p);

	/* byte-bound: 64 KiB of 1..2 KiB frames, 10 s kept: bytes win */
	T_EQ(preroll_new(64 << 10, 10000 * MS, 2048, &p), 0);
	feed(p, 1000, 8, 2048, &forced);
	T_EQ(forced, 0);
	check_held(p, 64 << 10);
	T_ASSERT(preroll_bytes(p) > (64 << 10) / 2);
	T_ASSERT(preroll_span_ns(p) < 10000 * MS);
	preroll_free(p);

	/* one group bigger than the budget: it goes, the next must be a key */
	T_EQ(preroll_new(8192, 10000 * MS, 2048, &p), 0);
	feed(p, 200, 1000, 2048, &forced);
	T_ASSERT(forced > 0);
	check_held(p, 8192);
	{
		bool need;
		struct vigil_clip_frame_meta m = { 0 };

		/* a non-key frame with no group to join is refused */
		preroll_free(p);
		T_EQ(preroll_new(8192, 0, 2048, &p), 0);
		preroll_reserve(p, &need);
		T_EQ(preroll_commit(p, 10, false, &m), -ENODATA);
		T_EQ(preroll_count(p), 0);
	}
	preroll_free(p);

	/*
	 * A clip copying a group as large as the ring: nothing it has not
	 * copied goes; what it has copied goes frame by frame, from the
	 * middle of the group, as room is needed.
	 */
	T_EQ(preroll_new(8192, 10000 * MS, 2048, &p), 0);
	{
		struct vigil_clip_frame_meta m = { 0 };
		unsigned int n = 0;
		uint64_t first;
		uint8_t *d;
		bool need;

		/* one group of 1 KiB frames until the ring is full */
		while (preroll_bytes(p) < 7168 && (d = preroll_reserve(p, &need)) && !need) {
			m.mono_ns = n * 33 * MS;
			m.wall_ns = n;
			fill(d, 1024, n);
			T_EQ(preroll_commit(p, 1024, n == 0, &m), 0);
			n++;
		}
		T_EQ(n, 7);
		first = preroll_first(p);
		preroll_pin(p, first);		/* nothing copied yet */
		T_ASSERT(preroll_reserve(p, &need) == NULL);
		T_EQ(preroll_count(p), n);
		preroll_pin(p, first + 2);	/* two frames copied */
		d = preroll_reserve(p, &need);
		T_ASSERT(d != NULL);
		T_ASSERT(!need);
		/* the two copied frames went, not one more */
		T_ASSERT(preroll_first(p) <= first + 2);
		T_ASSERT(preroll_first(p) > first);
		for (i = 0; i < preroll_count(p); i++) {
			preroll_get(p, i, &f);
			T_ASSERT(intact(&f, (uint32_t)f.meta.wall_ns));
			T_EQ(f.meta.wall_ns, preroll_first(p) + i);
		}
		/* the held frames start inside the group: never a clip's start */
		preroll_get(p, 0, &f);
		T_ASSERT(!f.key);
		T_EQ(preroll_start(p, 1000 * MS, 10000 * MS), preroll_count(p));
		m.mono_ns = n * 33 * MS;
		m.wall_ns = n;
		fill(d, 1024, n);
		T_EQ(preroll_commit(p, 1024, false, &m), 0);
		/* unpinned, the rest of the group goes before the next key */
		preroll_pin(p, UINT64_MAX);
		feed(p, 50, 4, 2048, &forced);
		check_held(p, 8192);
	}
	preroll_free(p);
	return t_done();
}
