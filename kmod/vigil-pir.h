/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil: PIR motion sensor, recording LED and privacy switch (vigil-pir.c)
 */
#ifndef _VIGIL_PIR_H_
#define _VIGIL_PIR_H_

#include <linux/types.h>

struct v4l2_event_subscription;
struct v4l2_fh;
struct vigil_dev;

/*
 * Probe: after vigil_cap_register(). Remove: after vigil_cap_unregister().
 * Free: in the v4l2_device release (the PIR controls live until then).
 */
int vigil_pir_init(struct vigil_dev *vd);
void vigil_pir_remove(struct vigil_dev *vd);
void vigil_pir_free(struct vigil_dev *vd);

/* vidioc_subscribe_event of the capture node */
int vigil_pir_subscribe_event(struct v4l2_fh *fh,
			      const struct v4l2_event_subscription *sub);

/* Capture hooks (vigil-cap.c) */
void vigil_pir_streaming(struct vigil_dev *vd, bool on);
void vigil_pir_frame_done(struct vigil_dev *vd, u32 sequence, u64 ts_ns);

#endif /* _VIGIL_PIR_H_ */
