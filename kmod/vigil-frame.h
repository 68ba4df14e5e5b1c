/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the destination of one frame, as the receiver hands it to
 * whatever writes the pixels.
 */
#ifndef _VIGIL_FRAME_H
#define _VIGIL_FRAME_H

#include <linux/types.h>

/* Frame geometry limits (what ENUM_FRAMESIZES/FRAMEINTERVALS report). */
#define VIGIL_MIN_WIDTH		160
#define VIGIL_MIN_HEIGHT	120
#define VIGIL_MAX_WIDTH		1920
#define VIGIL_MAX_HEIGHT	1080
#define VIGIL_MIN_FPS		1
#define VIGIL_MAX_FPS		60

/*
 * Replay file header (debugfs <debugfs>/vigil/<device>/replay), followed by
 * the raw frames: "VIGIL-RAW <fourcc> <width> <height>\n". See README.md.
 */
#define VIGIL_RAW_MAGIC		"VIGIL-RAW"

struct vigil_frame {
	u8 *vaddr;			/* CPU address of plane 0 */
	u32 fourcc;
	u32 width;
	u32 height;
	u32 bytesperline;		/* of the luma (or packed) plane */
	u32 sizeimage;
};

#endif /* _VIGIL_FRAME_H */
