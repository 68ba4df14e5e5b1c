/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild's network outputs that run on threads of their own, never on the
 * capture loop (issue #9): events over MQTT (sink-mqtt.c, libmosquitto's
 * thread) and sealed clips pushed to the owner's storage (push.c, a libcurl
 * worker).
 */
#ifndef VIGILD_NET_H
#define VIGILD_NET_H

#include <errno.h>
#include <stddef.h>

#include "vigild.h"

/*
 * What to add to a socket error that a sandbox, not the network, caused:
 * RestrictAddressFamilies= makes socket() fail with EAFNOSUPPORT and the
 * IPAddressDeny= firewall makes connect() fail with EPERM. The shipped
 * vigild.service allows loopback only; the README says how to open more.
 */
static inline const char *net_denied_hint(int err)
{
	if (err < 0)
		err = -err;
	if (err == EPERM || err == EAFNOSUPPORT)
		return " (refused by the sandbox, not the network: vigild.service"
		       " allows localhost only; see \"Network under systemd\""
		       " in vigil's userspace README)";
	return "";
}

/* sink-mqtt.c: events, availability and Home Assistant discovery */
extern const struct sink_ops sink_mqtt_ops;

/* push.c: upload every closed clip of [push] dir to [push] url */
struct push;

/*
 * Start the worker (scan, then watch the directory); its audit log is
 * opened now, its records written on @l (audit.c). 0 or -errno + @err.
 */
int push_start(const struct vigil_config *c, struct loop *l, struct push **out,
	       char *err, size_t errlen);
/* Stop the worker (an upload in progress is abandoned, resumed later). */
void push_stop(struct push *p);

/*
 * The first line of a secret file (password, token), without its line end,
 * into @buf. A file readable by group or others is refused. 0 or -errno.
 */
int secret_read(const char *path, char *buf, size_t len, char *err,
		size_t errlen);

#endif
