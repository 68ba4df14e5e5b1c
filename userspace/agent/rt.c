// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's real-time options: CPU affinity, SCHED_FIFO, mlockall.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt.h"

static const char *skip_ws(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int parse_cpu(const char **s, unsigned long *cpu)
{
	char *end;

	*s = skip_ws(*s);
	if (!isdigit((unsigned char)**s))
		return -EINVAL;
	errno = 0;
	*cpu = strtoul(*s, &end, 10);
	if (errno || *cpu >= CPU_SETSIZE)
		return -EINVAL;
	*s = skip_ws(end);
	return 0;
}

int rt_parse_cpus(const char *list, cpu_set_t *set, char *err, size_t errlen)
{
	const char *s = list;
	unsigned long a, b, i;

	CPU_ZERO(set);
	if (!*skip_ws(s)) {
		snprintf(err, errlen, "empty CPU list");
		return -EINVAL;
	}
	for (;;) {
		if (parse_cpu(&s, &a))
			goto bad;
		b = a;
		if (*s == '-') {
			s++;
			if (parse_cpu(&s, &b) || b < a)
				goto bad;
		}
		for (i = a; i <= b; i++)
			CPU_SET(i, set);
		if (!*s)
			return 0;
		if (*s++ != ',')
			goto bad;
	}
bad:
	snprintf(err, errlen,
		 "CPU list '%s': expected CPUs and ranges like 0,2-3 (each below %d)",
		 list, CPU_SETSIZE);
	return -EINVAL;
}

int rt_apply(const struct vigil_config *c, char *err, size_t errlen)
{
	char why[160];
	int ret;

	if (c->cpu_affinity[0]) {
		cpu_set_t set;

		ret = rt_parse_cpus(c->cpu_affinity, &set, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "[daemon] cpu_affinity: %s", why);
			return ret;
		}
		if (sched_setaffinity(0, sizeof(set), &set)) {
			ret = -errno;
			snprintf(err, errlen, "[daemon] cpu_affinity '%s': %s",
				 c->cpu_affinity, strerror(-ret));
			return ret;
		}
	}
	if (c->sched_fifo) {
		struct sched_param sp = { .sched_priority = (int)c->sched_fifo };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			ret = -errno;
			snprintf(err, errlen, "[daemon] sched_fifo %u: %s%s",
				 c->sched_fifo, strerror(-ret),
				 ret == -EPERM ? " (needs CAP_SYS_NICE or an RLIMIT_RTPRIO)" : "");
			return ret;
		}
	}
	if (c->mlockall && mlockall(MCL_CURRENT | MCL_FUTURE)) {
		ret = -errno;
		snprintf(err, errlen, "[daemon] mlockall: %s%s", strerror(-ret),
			 ret == -ENOMEM || ret == -EPERM ?
			 " (RLIMIT_MEMLOCK too low? LimitMEMLOCK= in the unit)" : "");
		return ret;
	}
	return 0;
}
