/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every benchmark program in bench/ needs: clocks, sleeping, a
 * deterministic pseudo-random source, sorting samples, and reading a
 * figure out of vigild's stats lines. Header-only (each bench is one
 * program built from one .c file).
 */
#ifndef VIGIL_BENCH_H
#define VIGIL_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/* qsort() order of uint64_t samples. */
static inline int cmp(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* xorshift64: the same sequence in every run. */
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static inline unsigned int rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned int)seed;
}

/* A number after @key in the file's last line holding it, or -1. */
static inline double stat_from(const char *path, const char *key)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	double v = -1;

	while (fp && fgets(line, sizeof(line), fp)) {
		const char *p = strstr(line, key);

		if (p)
			v = atof(p + strlen(key));
	}
	if (fp)
		fclose(fp);
	return v;
}

/*
 * fork() for a run of vigild (or a tool): in the child, which gets 0,
 * stderr goes to @errpath and stdout to /dev/null (exit 126 if either
 * cannot); the parent gets the child's pid, or -errno.
 */
static inline pid_t fork_logged(const char *errpath)
{
	const pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0 && (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout)))
		_exit(126);
	return pid;
}

/*
 * The vigild to measure, into @out (PATH_MAX): $VIGILD if set, else
 * $VIGIL_BUILD/vigild if it runs, else the one beside this program's
 * bench/ directory (the build tree). 0, or -1 with a message.
 */
static inline int find_vigild(char *out, size_t n, const char *prog)
{
	const char *other = getenv("VIGILD"), *build = getenv("VIGIL_BUILD");
	ssize_t len;

	if (other && *other) {
		snprintf(out, n, "%s", other);
		return 0;
	}
	snprintf(out, n, "%s/vigild", build ? build : "build/userspace");
	if (!access(out, X_OK))
		return 0;
	len = readlink("/proc/self/exe", out, n - 16);
	if (len <= 0 || !memchr(out, '/', (size_t)len)) {
		fprintf(stderr, "%s: cannot find vigild\n", prog);
		return -1;
	}
	out[len] = 0;
	strcpy(strrchr(out, '/'), "/../vigild");
	if (access(out, X_OK)) {
		fprintf(stderr, "%s: no %s\n", prog, out);
		return -1;
	}
	return 0;
}

#endif
