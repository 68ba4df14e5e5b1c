// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's audit writer (agent/audit.c) on a real io_uring, driven by the
 * test instead of vigild's loop, so that its queue fills deterministically:
 *  - a full queue: with the first record in flight, records beyond the
 *    queue's 64 are refused (-ENOBUFS) and counted as dropped, from the
 *    loop thread (audit_append) and from another thread (audit_post); the
 *    file holds exactly the others, in the order they were queued, and each
 *    accepted record's completion comes once, in that order;
 *  - failures (VIGILD_TEST_AUDIT_FAIL, test-only): a record whose write
 *    fails completes with EBADF and is not in the file, one whose fdatasync
 *    fails completes with EINVAL (its line was written: the access is then
 *    refused but recorded); both counted as errors; the records after them
 *    are written and counted as usual; a malformed value is refused;
 *  - hold:N (the same variable) keeps the records in the queue until N
 *    were dropped, then they go out, all of them, in order.
 */
#include <pthread.h>
#include <stdint.h>

#include "audit.h"
#include "t.h"

#define N_TRY	100	/* records offered at once: more than AUDIT_QUEUE */

static char dir[] = "/tmp/vigil-audit-writer-XXXXXX";
static struct loop loop;

static unsigned int ndone;
static uint64_t done_cookie[2 * N_TRY];
static int done_res[2 * N_TRY];

static void done(void *arg, uint64_t cookie, int res)
{
	T_ASSERT(arg == &loop);
	if (ndone < 2 * N_TRY) {
		done_cookie[ndone] = cookie;
		done_res[ndone] = res;
	}
	ndone++;
}

static void clip_id(char *id, unsigned int i)
{
	snprintf(id, VIGIL_CLIP_ID_LEN + 1, "20260101T%06uZ-0001", i);
}

/* The clip ids of @path's records, in file order, into @ids; how many. */
static unsigned int read_ids(const char *path, unsigned int *ids, unsigned int max)
{
	FILE *f = fopen(path, "r");
	char line[VIGIL_AUDIT_LINE_MAX + 2];
	unsigned int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		const char *c = strstr(line, "\"clip\":\"20260101T");

		T_ASSERT(c);
		if (c)
			ids[n++] = (unsigned int)strtoul(c + 17, NULL, 10);
	}
	fclose(f);
	return n;
}

static struct audit_counters counters(const char *path)
{
	struct audit_counters ac[AUDIT_LOGS], none = { 0 };
	const unsigned int n = audit_counters(ac, AUDIT_LOGS);

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(ac[i].path, path))
			return ac[i];
	T_ASSERT(!"no counters for the log");
	return none;
}

struct poster {
	struct audit *a;
	unsigned int first, ok, nobufs;
};

static void *post_all(void *arg)
{
	struct poster *p = arg;
	char id[VIGIL_CLIP_ID_LEN + 1];

	for (unsigned int i = 0; i < N_TRY; i++) {
		int ret;

		clip_id(id, p->first + i);
		ret = audit_post(p->a, "upload", id, "push.example");
		p->ok += !ret;
		p->nobufs += ret == -ENOBUFS;
	}
	return NULL;
}

static void test_queue_full(void)
{
	char path[sizeof(dir) + 16], err[256], id[VIGIL_CLIP_ID_LEN + 1];
	unsigned int ids[4 * N_TRY], n, ok = 0, nobufs = 0;
	struct poster p = { .first = 1000 };
	struct audit_counters ac;
	struct audit *a;
	pthread_t th;

	snprintf(path, sizeof(path), "%s/a.jsonl", dir);
	T_EQ(audit_open(&loop, path, &a, err, sizeof(err)), 0);
	if (!a) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	/* the loop thread: the first goes in flight, the queue holds 64 with it */
	for (unsigned int i = 0; i < N_TRY; i++) {
		int ret;

		clip_id(id, i);
		ret = audit_append(a, "stream", id, "127.0.0.1:1 token:00", done, &loop, i);
		ok += !ret;
		nobufs += ret == -ENOBUFS;
	}
	T_EQ(ok, AUDIT_QUEUE);
	T_EQ(nobufs, N_TRY - AUDIT_QUEUE);
	T_ASSERT(audit_busy());
	T_EQ(counters(path).dropped, N_TRY - AUDIT_QUEUE);
	T_EQ(counters(path).records, 0);
	T_EQ(audit_drain(&loop), 0);
	T_ASSERT(!audit_busy());
	/* each accepted record completed once, in order; the refused never */
	T_EQ(ndone, AUDIT_QUEUE);
	for (unsigned int i = 0; i < ndone && i < AUDIT_QUEUE; i++) {
		T_EQ(done_cookie[i], i);
		T_EQ(done_res[i], 0);
	}
	n = read_ids(path, ids, 4 * N_TRY);
	T_EQ(n, AUDIT_QUEUE);
	for (unsigned int i = 0; i < n; i++)
		T_EQ(ids[i], i);

	/* another thread, the loop not running meanwhile: the same bound */
	p.a = a;
	T_EQ(pthread_create(&th, NULL, post_all, &p), 0);
	pthread_join(th, NULL);
	T_EQ(p.ok, AUDIT_QUEUE);
	T_EQ(p.nobufs, N_TRY - AUDIT_QUEUE);
	T_EQ(audit_drain(&loop), 0);
	n = read_ids(path, ids, 4 * N_TRY);
	T_EQ(n, 2 * AUDIT_QUEUE);
	for (unsigned int i = AUDIT_QUEUE; i < n; i++)
		T_EQ(ids[i], p.first + i - AUDIT_QUEUE);
	ac = counters(path);
	T_EQ(ac.records, 2 * AUDIT_QUEUE);
	T_EQ(ac.dropped, 2 * (N_TRY - AUDIT_QUEUE));
	T_EQ(ac.errors, 0);
	printf("queue full: %u of %u records written in order, %lu dropped and counted\n",
	       n, 2 * N_TRY, ac.dropped);
	/* room again once written */
	clip_id(id, 9999);
	T_EQ(audit_append(a, "stream", id, "127.0.0.1:1 token:00", NULL, NULL, 0), 0);
	T_EQ(audit_drain(&loop), 0);
	T_EQ(read_ids(path, ids, 4 * N_TRY), 2 * AUDIT_QUEUE + 1);
	audit_put(a);
	T_EQ(audit_drain(&loop), 0);
}

static void test_faults(void)
{
	static const char *const bad[] = { "", "disk", "write:0", "write,", "fsync:x",
					   "write:1x", ",write", "fsync:1,,write" };
	static const int want[] = { -EBADF, -EBADF, -EINVAL, 0, 0 };
	char path[sizeof(dir) + 16], err[256], id[VIGIL_CLIP_ID_LEN + 1];
	unsigned int ids[16], n;
	struct audit_counters ac;
	struct audit *a = NULL;

	snprintf(path, sizeof(path), "%s/b.jsonl", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("VIGILD_TEST_AUDIT_FAIL", bad[i], 1);
		err[0] = '\0';
		T_EQ(audit_open(&loop, path, &a, err, sizeof(err)), -EINVAL);
		T_STRSTR(err, "VIGILD_TEST_AUDIT_FAIL");
		T_ASSERT(!a);
	}
	setenv("VIGILD_TEST_AUDIT_FAIL", "write:2,fsync", 1);
	T_EQ(audit_open(&loop, path, &a, err, sizeof(err)), 0);
	unsetenv("VIGILD_TEST_AUDIT_FAIL");
	if (!a) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	ndone = 0;
	for (unsigned int i = 0; i < 5; i++) {
		clip_id(id, i);
		T_EQ(audit_append(a, "stream", id, "127.0.0.1:2 token:00", done, &loop, i), 0);
	}
	T_EQ(audit_drain(&loop), 0);
	T_EQ(ndone, 5);
	for (unsigned int i = 0; i < ndone && i < 5; i++) {
		T_EQ(done_cookie[i], i);
		T_EQ(done_res[i], want[i]);
	}
	/* the failed writes are not in the file; the failed fdatasync's line is */
	n = read_ids(path, ids, 16);
	T_EQ(n, 3);
	for (unsigned int i = 0; i < n; i++)
		T_EQ(ids[i], i + 2);
	ac = counters(path);
	T_EQ(ac.records, 2);
	T_EQ(ac.errors, 3);
	T_EQ(ac.dropped, 0);
	printf("faults: write, write, fsync failed (%d %d %d), then 2 records written\n",
	       done_res[0], done_res[1], done_res[2]);
	audit_put(a);
	T_EQ(audit_drain(&loop), 0);
}

static void test_hold(void)
{
	char path[sizeof(dir) + 16], err[256], id[VIGIL_CLIP_ID_LEN + 1];
	unsigned int ids[2 * AUDIT_QUEUE], n, ok = 0, sq;
	struct audit *a = NULL;

	snprintf(path, sizeof(path), "%s/c.jsonl", dir);
	setenv("VIGILD_TEST_AUDIT_FAIL", "hold:3", 1);
	T_EQ(audit_open(&loop, path, &a, err, sizeof(err)), 0);
	unsetenv("VIGILD_TEST_AUDIT_FAIL");
	if (!a) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	sq = io_uring_sq_ready(&loop.ring);	/* the eventfd's poll, not submitted */
	for (unsigned int i = 0; i < AUDIT_QUEUE + 3; i++) {
		clip_id(id, i);
		ok += !audit_append(a, "stream", id, "127.0.0.1:3 token:00", NULL, NULL, 0);
		/* held: nothing goes to the ring before the third drop */
		if (i == AUDIT_QUEUE + 1)
			T_EQ(io_uring_sq_ready(&loop.ring), sq);
	}
	T_EQ(ok, AUDIT_QUEUE);
	T_EQ(io_uring_sq_ready(&loop.ring), sq + 2);	/* the head's write, fdatasync */
	T_EQ(audit_drain(&loop), 0);
	n = read_ids(path, ids, 2 * AUDIT_QUEUE);
	T_EQ(n, AUDIT_QUEUE);
	for (unsigned int i = 0; i < n; i++)
		T_EQ(ids[i], i);
	T_EQ(counters(path).dropped, 3);
	audit_put(a);
	T_EQ(audit_drain(&loop), 0);
}

int main(void)
{
	const char *what = "";
	char cmd[sizeof(dir) + 16];
	int ret;

	unsetenv("VIGILD_TEST_AUDIT_FAIL");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = loop_init(&loop, &what);
	if (ret) {
		/* make check's machines have io_uring: not a skip */
		fprintf(stderr, "io_uring: %s: %s\n", what, strerror(-ret));
		return 1;
	}
	test_queue_full();
	test_faults();
	test_hold();
	loop_exit(&loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done();
}
