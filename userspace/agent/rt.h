/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild's real-time options (issue 13): [daemon] sched_fifo, cpu_affinity
 * and mlockall, applied to the whole process once at start.
 */
#ifndef VIGILD_RT_H
#define VIGILD_RT_H

#include <sched.h>
#include <stddef.h>

#include "vigil-internal.h"

/*
 * Parse a CPU list ("0", "0,2-3"; spaces allowed around items) into @set.
 * Returns 0, or -EINVAL with a reason in @err (syntax, a range backwards,
 * a CPU beyond CPU_SETSIZE, an empty list).
 */
int rt_parse_cpus(const char *list, cpu_set_t *set, char *err, size_t errlen);

/*
 * Apply the options of @c that are set: affinity, then SCHED_FIFO, then
 * mlockall. Returns 0 or -errno with a message naming the option in @err.
 */
int rt_apply(const struct vigil_config *c, char *err, size_t errlen);

#endif
