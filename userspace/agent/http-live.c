// SPDX-License-Identifier: GPL-2.0-or-later
/* Live streams: not yet. */
#include "http-int.h"

void http_live_start(struct http_server *h, struct http_conn *c, bool mjpeg)
{
	http_error(h, c, 404, "live streams are not implemented yet");
}

void http_live_frame(struct http_server *h, const struct vigil_frame *f)
{
}

void http_live_free(struct http_server *h)
{
}
