/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the destination of one frame, as the receiver hands it to
 * whatever writes the pixels.
 */
#ifndef _VIGIL_FRAME_H
#define _VIGIL_FRAME_H

#include <linux/types.h>

struct vigil_frame {
	u8 *vaddr;			/* CPU address of plane 0 */
	u32 fourcc;
	u32 width;
	u32 height;
	u32 bytesperline;		/* of the luma (or packed) plane */
	u32 sizeimage;
};

#endif /* _VIGIL_FRAME_H */
