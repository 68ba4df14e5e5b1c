/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the frame gate of the bridge: what keeps a frame period from
 * reaching a buffer. Lower layers (the PIR, privacy switch and standby code
 * in vigil-pir.c) only set its bits; the bridge reads them for every frame
 * (vigil_frame_wanted()), so no lower layer calls into the capture code.
 */
#ifndef _VIGIL_GATE_H
#define _VIGIL_GATE_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/types.h>

enum vigil_gate_bit {
	VIGIL_GATE_PRIVACY,		/* privacy switch asserted: no frames */
	VIGIL_GATE_STANDBY,		/* standby: keep-alive frames only */
};

struct vigil_gate {
	unsigned long closed;		/* VIGIL_GATE_* bits, atomic bitops */
	u32 keepalive_fps;		/* frames per second in standby, 0: none */
};

/* Any context. */
static inline void vigil_gate_set(struct vigil_gate *g,
				  enum vigil_gate_bit bit, bool on)
{
	if (on)
		set_bit(bit, &g->closed);
	else
		clear_bit(bit, &g->closed);
}

static inline bool vigil_gate_test(const struct vigil_gate *g,
				   enum vigil_gate_bit bit)
{
	return test_bit(bit, &g->closed);
}

/* Any context: whether @bit was set; it is clear afterwards. */
static inline bool vigil_gate_test_and_clear(struct vigil_gate *g,
					     enum vigil_gate_bit bit)
{
	return test_and_clear_bit(bit, &g->closed);
}

static inline void vigil_gate_set_keepalive(struct vigil_gate *g, u32 fps)
{
	WRITE_ONCE(g->keepalive_fps, fps);
}

#endif /* _VIGIL_GATE_H */
