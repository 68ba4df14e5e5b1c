/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frames to JPEG with libturbojpeg, in colour when the frame has it: the
 * YUV planes go to the JPEG encoder as they are (tjCompressFromYUVPlanes),
 * with no RGB round trip. GREY is coded grayscale, the 4:2:0 formats 4:2:0,
 * the packed 4:2:2 formats 4:2:2. Planar formats are read in place;
 * interleaved chroma (NV12/NV21, YUYV/UYVY) is split into a scratch buffer
 * allocated once for the frame size.
 */
#ifndef JPEG_ENC_H
#define JPEG_ENC_H

#include "libvigil.h"

struct jpeg_enc;

int jpeg_enc_new(struct jpeg_enc **out);
void jpeg_enc_free(struct jpeg_enc *e);
/*
 * Encode @f at @quality (1..100). *@jpeg and *@len get the image, owned
 * by @e and valid until the next call. 0, -ENOMEM, or -EIO with a reason
 * in jpeg_enc_error().
 */
int jpeg_enc_frame(struct jpeg_enc *e, const struct vigil_frame *f, int quality,
		   const unsigned char **jpeg, unsigned long *len);
const char *jpeg_enc_error(const struct jpeg_enc *e);

#endif
