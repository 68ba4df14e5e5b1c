/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal unit-test helpers: t_ prefix, exit 0 pass, 1 fail, 77 skip.
 */
#ifndef VIGIL_T_H
#define VIGIL_T_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T_SKIP 77

static int t_failures;

#define T_ASSERT(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: assertion failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			t_failures++;					\
		}							\
	} while (0)

#define T_EQ(a, b)							\
	do {								\
		const long long t_a_ = (long long)(a);			\
		const long long t_b_ = (long long)(b);			\
		if (t_a_ != t_b_) {					\
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, t_a_, #b, t_b_); \
			t_failures++;					\
		}							\
	} while (0)

#define T_STRSTR(hay, needle)						\
	do {								\
		if (!strstr((hay), (needle))) {				\
			fprintf(stderr, "%s:%d: '%s' not in '%s'\n",	\
				__FILE__, __LINE__, (needle), (hay));	\
			t_failures++;					\
		}							\
	} while (0)

static inline int t_done(void)
{
	if (t_failures)
		fprintf(stderr, "%d check(s) failed\n", t_failures);
	return t_failures ? 1 : 0;
}

/* Root of the source tree (set by the Makefile), or "..". */
static inline const char *t_srcdir(void)
{
	const char *s = getenv("VIGIL_SRCDIR");

	return s ? s : "..";
}

/* Build directory holding vigild, or NULL. */
static inline const char *t_builddir(void)
{
	return getenv("VIGIL_BUILD");
}

/*
 * Directory holding the tools (vigil-clip, ...): $VIGIL_TOOLS where they
 * are installed (run-ptest), else the build's tools/; NULL if neither.
 */
static inline const char *t_tooldir(void)
{
	static char dir[512];

	if (getenv("VIGIL_TOOLS"))
		return getenv("VIGIL_TOOLS");
	if (!t_builddir())
		return NULL;
	snprintf(dir, sizeof(dir), "%s/tools", t_builddir());
	return dir;
}

/* Create a temporary file with @len bytes of @data; returns its path. */
static inline char *t_tmpfile(const void *data, size_t len)
{
	char *path = strdup("/tmp/vigil-test-XXXXXX");
	int fd;

	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror("t_tmpfile");
		exit(1);
	}
	close(fd);
	return path;
}

static inline void t_rmfile(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

/* Deterministic noise for test frames. */
static inline uint32_t t_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

#endif
