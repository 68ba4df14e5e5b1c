// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's real-time options (agent/rt.c, issue 13): the CPU list parser,
 * the [daemon] keys, and applying affinity and mlockall to this process
 * (SCHED_FIFO only where the process may use it).
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "rt.h"
#include "t.h"

static void test_parse(void)
{
	cpu_set_t set;
	char err[256];

	T_EQ(rt_parse_cpus("0", &set, err, sizeof(err)), 0);
	T_EQ(CPU_COUNT(&set), 1);
	T_ASSERT(CPU_ISSET(0, &set));
	T_EQ(rt_parse_cpus(" 0, 2-3 ,7", &set, err, sizeof(err)), 0);
	T_EQ(CPU_COUNT(&set), 4);
	T_ASSERT(CPU_ISSET(2, &set) && CPU_ISSET(3, &set) && CPU_ISSET(7, &set));
	T_ASSERT(!CPU_ISSET(1, &set));
	T_EQ(rt_parse_cpus("5-5", &set, err, sizeof(err)), 0);
	T_EQ(CPU_COUNT(&set), 1);

	const char *const bad[] = { "", " ", "a", "1,", ",1", "3-1", "1-",
				    "-1", "1;2", "99999", "1 2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		T_EQ(rt_parse_cpus(bad[i], &set, err, sizeof(err)), -EINVAL);
		T_ASSERT(err[0]);
	}
	rt_parse_cpus("3-1", &set, err, sizeof(err));
	T_STRSTR(err, "'3-1'");
}

static void test_config(void)
{
	struct vigil_config c;
	const char *why;
	char err[256];

	vigil_config_default(&c);
	T_EQ(c.sched_fifo, 0);
	T_EQ(c.mlockall, 0);
	T_EQ(c.cpu_affinity[0], 0);
	T_EQ(vigil_config_load_string(&c, "[daemon]\nsched_fifo = 80\n"
				      "cpu_affinity = 0\nmlockall = yes\n",
				      "t", err, sizeof(err)), 0);
	T_EQ(c.sched_fifo, 80);
	T_ASSERT(!strcmp(c.cpu_affinity, "0"));
	T_EQ(c.mlockall, 1);
	T_EQ(vigil_config_set(&c, "daemon", "sched_fifo", "100", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "daemon", "mlockall", "maybe", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "daemon", "nice", "1", &why), -ENOENT);
}

static void test_apply(void)
{
	struct vigil_config c;
	cpu_set_t before, now;
	struct rlimit rl;
	char err[256];
	int cpu = -1;

	vigil_config_default(&c);
	T_EQ(rt_apply(&c, err, sizeof(err)), 0);	/* nothing set: no-op */

	/* affinity: the first CPU this process may use */
	T_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
	for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++)
		if (CPU_ISSET(i, &before))
			cpu = i;
	T_ASSERT(cpu >= 0);
	snprintf(c.cpu_affinity, sizeof(c.cpu_affinity), "%d", cpu);
	T_EQ(rt_apply(&c, err, sizeof(err)), 0);
	T_EQ(sched_getaffinity(0, sizeof(now), &now), 0);
	T_EQ(CPU_COUNT(&now), 1);
	T_ASSERT(CPU_ISSET(cpu, &now));
	sched_setaffinity(0, sizeof(before), &before);
	/* a CPU that does not exist: the option is named */
	snprintf(c.cpu_affinity, sizeof(c.cpu_affinity), "%d", CPU_SETSIZE - 1);
	T_ASSERT(rt_apply(&c, err, sizeof(err)) < 0);
	T_STRSTR(err, "cpu_affinity");
	c.cpu_affinity[0] = '\0';

	/* mlockall, where the limit allows it */
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur == RLIM_INFINITY) {
		c.mlockall = true;
		T_EQ(rt_apply(&c, err, sizeof(err)), 0);
		munlockall();
		c.mlockall = false;
	}
	/* SCHED_FIFO: applied, or refused with the option named */
	c.sched_fifo = 10;
	if (rt_apply(&c, err, sizeof(err)) == 0) {
		T_EQ(sched_getscheduler(0), SCHED_FIFO);
		struct sched_param sp = { 0 };

		sched_setscheduler(0, SCHED_OTHER, &sp);
	} else {
		T_STRSTR(err, "[daemon] sched_fifo 10");
	}
}

int main(void)
{
	test_parse();
	test_config();
	test_apply();
	return t_done();
}
