/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pre-roll: the most recent encoded frames, held in one byte ring bounded
 * by a byte budget and by a time span, evicted a whole keyframe group at a
 * time so that what is left always starts on a keyframe (but while a clip
 * copies a group: its copied frames may go first, see preroll_reserve()).
 * An alarm's clip copies the frames since (up to) preroll_s before its
 * trigger: no raw frame is ever held.
 */
#ifndef VIGILD_PREROLL_H
#define VIGILD_PREROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libvigil.h"

struct preroll;

/* One held frame (valid until the next reserve). */
struct preroll_frame {
	const uint8_t *data;
	size_t len;
	bool key;
	struct vigil_clip_frame_meta meta;
};

/*
 * @budget bytes of ring, frames older than @keep_ns evicted (by group);
 * @max_frame: the largest encoded frame (vigil_encoder_bound()), which must
 * fit the budget (-EINVAL otherwise).
 */
int preroll_new(uint64_t budget, uint64_t keep_ns, size_t max_frame,
		struct preroll **out);
void preroll_free(struct preroll *p);
/*
 * Room for the next encoded frame (max_frame bytes), evicting the oldest
 * groups as needed. *@need_key is set when the group being filled had to
 * go: the next frame must then be a keyframe (vigil_encoder_force_key()).
 * Frames before the pin go first, even from the middle of a group (the
 * held frames may then start with a frame that is not a keyframe:
 * preroll_start() never picks one). NULL when only pinned frames could
 * make room (copy them and move the pin on, or unpin, then call again).
 */
uint8_t *preroll_reserve(struct preroll *p, bool *need_key);
/*
 * Keep the frame written at the reserved room. A non-key frame with no
 * group to join (its group was evicted) is dropped: -ENODATA.
 */
int preroll_commit(struct preroll *p, size_t len, bool key,
		   const struct vigil_clip_frame_meta *m);
/* Frames held, and frame @i (0 = oldest). */
unsigned int preroll_count(const struct preroll *p);
void preroll_get(const struct preroll *p, unsigned int i,
		 struct preroll_frame *f);
/*
 * Where a clip triggered at @trigger_ns with @before_ns of pre-roll starts:
 * the first keyframe at or after trigger - before, else the last keyframe
 * held. Returns its index, or preroll_count() when nothing is held.
 */
unsigned int preroll_start(const struct preroll *p, uint64_t trigger_ns,
			   uint64_t before_ns);
/*
 * Frames are numbered from 0 as they are committed: the oldest held is
 * number preroll_first() (index 0). A pin keeps every frame from number
 * @from on (a clip still copying them); UINT64_MAX unpins.
 */
uint64_t preroll_first(const struct preroll *p);
void preroll_pin(struct preroll *p, uint64_t from);
/* Time span held (newest - oldest frame), and bytes held. */
uint64_t preroll_span_ns(const struct preroll *p);
uint64_t preroll_bytes(const struct preroll *p);

#endif
