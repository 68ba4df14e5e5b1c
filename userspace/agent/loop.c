// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one io_uring of vigild. Created disabled (IORING_SETUP_R_DISABLED),
 * restricted to the opcodes vigild submits, then enabled: a bug cannot turn
 * the ring into a generic syscall gateway.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vigild.h"

#define RING_ENTRIES 256

/*
 * Every opcode vigild submits, and nothing else: the ring refuses the rest.
 * (Timeouts are never removed or cancelled: they expire or the ring goes.)
 */
static const unsigned char allowed_ops[] = {
	IORING_OP_POLL_ADD,
	IORING_OP_POLL_REMOVE,
	IORING_OP_TIMEOUT,
	/* BEGIN recording (issue #8): clip writes, syncs, the final rename */
	IORING_OP_WRITE,
	IORING_OP_FSYNC,
	IORING_OP_RENAMEAT,
	/* clip open (name check, create), close, retention's unlinks */
	IORING_OP_STATX,
	IORING_OP_OPENAT,
	IORING_OP_CLOSE,
	IORING_OP_UNLINKAT,
	/* END recording */
	/* the HTTP API (http.c) */
	IORING_OP_ACCEPT,
	IORING_OP_ASYNC_CANCEL,
	IORING_OP_RECV,
	IORING_OP_SEND,
};

static const char *const op_names[] = {
	[IORING_OP_POLL_ADD] = "opcode POLL_ADD",
	[IORING_OP_POLL_REMOVE] = "opcode POLL_REMOVE",
	[IORING_OP_TIMEOUT] = "opcode TIMEOUT",
	[IORING_OP_WRITE] = "opcode WRITE",
	[IORING_OP_FSYNC] = "opcode FSYNC",
	[IORING_OP_RENAMEAT] = "opcode RENAMEAT",
	[IORING_OP_STATX] = "opcode STATX",
	[IORING_OP_OPENAT] = "opcode OPENAT",
	[IORING_OP_CLOSE] = "opcode CLOSE",
	[IORING_OP_UNLINKAT] = "opcode UNLINKAT",
	[IORING_OP_ACCEPT] = "opcode ACCEPT",
	[IORING_OP_ASYNC_CANCEL] = "opcode ASYNC_CANCEL",
	[IORING_OP_RECV] = "opcode RECV",
	[IORING_OP_SEND] = "opcode SEND",
};

/*
 * Debian's liburing 2.3 shared library does not export
 * io_uring_register_restrictions() and io_uring_enable_rings() (its symbol
 * map lacks them), so call io_uring_register(2) directly.
 */
static int ring_register(struct io_uring *ring, unsigned int op,
			 const void *arg, unsigned int nr)
{
	const long ret = syscall(__NR_io_uring_register, ring->ring_fd, op,
				 arg, nr);

	return ret < 0 ? -errno : 0;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * io_uring's workers (io-wq: the recorder's writes and fsyncs) run on the
 * CPUs the loop may run on ([daemon] cpu_affinity, or taskset). From 6.2
 * the kernel keeps a thread's sched_setaffinity() mask for the threads it
 * starts; 6.1's io-wq gives its workers every CPU of the cpuset instead.
 * A worker inherits the loop's SCHED_FIFO priority, and the RT scheduler
 * puts it, woken by the running loop, on another CPU if it may: each
 * write and fsync then cost two cross-CPU wake-ups (docs/latency.md,
 * "SCHED_FIFO and the alarm's sync").
 */
static int iowq_follow_affinity(struct loop *l)
{
	cpu_set_t set;
	const long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	if (online > 0 && CPU_COUNT(&set) >= online)
		return 0;	/* not restricted: io-wq's own placement */
	return ring_register(&l->ring, IORING_REGISTER_IOWQ_AFF, &set, sizeof(set));
}

int loop_init(struct loop *l, const char **what)
{
	struct io_uring_restriction res[sizeof(allowed_ops) + 1];
	struct io_uring_probe *probe;
	int ret;

	memset(l, 0, sizeof(*l));
	*what = "io_uring_queue_init";
	ret = io_uring_queue_init(RING_ENTRIES, &l->ring, IORING_SETUP_R_DISABLED);
	if (ret)
		return ret;
	/* the kernel must support every opcode vigild will submit */
	*what = "IORING_REGISTER_PROBE";
	probe = io_uring_get_probe_ring(&l->ring);
	if (!probe) {
		ret = -ENOSYS;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(allowed_ops); i++) {
		if (!io_uring_opcode_supported(probe, allowed_ops[i])) {
			*what = op_names[allowed_ops[i]];
			ret = -EOPNOTSUPP;
			io_uring_free_probe(probe);
			goto fail;
		}
	}
	io_uring_free_probe(probe);
	/* before the restrictions, which refuse every register opcode */
	*what = "IORING_REGISTER_IOWQ_AFF";
	ret = iowq_follow_affinity(l);
	if (ret == -EINVAL)	/* before 5.14: no such opcode; not fatal */
		fprintf(stderr, "vigild: warning: io_uring's workers cannot be confined to "
			"the CPUs vigild may run on (IORING_REGISTER_IOWQ_AFF: %s)\n",
			strerror(-ret));
	else if (ret)
		goto fail;
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(allowed_ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = allowed_ops[i];
	}
	/* the recorder links rename -> directory fsync (issue #8) */
	res[sizeof(allowed_ops)].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[sizeof(allowed_ops)].sqe_flags = IOSQE_IO_LINK;
	*what = "IORING_REGISTER_RESTRICTIONS";
	ret = ring_register(&l->ring, IORING_REGISTER_RESTRICTIONS, res,
			    sizeof(allowed_ops) + 1);
	if (ret)
		goto fail;
	*what = "IORING_REGISTER_ENABLE_RINGS";
	ret = ring_register(&l->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (ret)
		goto fail;
	return 0;
fail:
	io_uring_queue_exit(&l->ring);
	return ret;
}

void loop_exit(struct loop *l)
{
	io_uring_queue_exit(&l->ring);
}

static struct io_uring_sqe *get_sqe(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		/* full: flush what is queued and retry once */
		io_uring_submit(&l->ring);
		l->enters++;
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

int loop_poll_multishot(struct loop *l, int fd, unsigned int mask,
			uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, fd, mask);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_poll_remove(struct loop *l, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_remove(sqe, tag);
	io_uring_sqe_set_data64(sqe, LOOP_TAG(0, TAG_CANCEL));
	return 0;
}

int loop_timeout_abs(struct loop *l, uint64_t when,
		     struct __kernel_timespec *ts, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	ts->tv_sec = (long long)(when / 1000000000ULL);
	ts->tv_nsec = (long long)(when % 1000000000ULL);
	io_uring_prep_timeout(sqe, ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

/* ---- the HTTP API's sockets ---- */

int loop_accept_multishot(struct loop *l, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_multishot_accept(sqe, fd, NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_recv(struct loop *l, int fd, void *buf, size_t len, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_send(struct loop *l, int fd, const void *buf, size_t len,
	      uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_cancel_fd(struct loop *l, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_submit_wait(struct loop *l, unsigned int wait_nr)
{
	const uint64_t t0 = mono_ns();
	int ret;

	/* the work since the last return: a stall if anything blocked */
	if (l->ret_ns && t0 - l->ret_ns > l->busy_max_ns)
		l->busy_max_ns = t0 - l->ret_ns;
	l->enters++;
	ret = io_uring_submit_and_wait(&l->ring, wait_nr);
	l->ret_ns = mono_ns();
	return ret < 0 ? ret : 0;
}

/* BEGIN recording (issue #8) */
int loop_write(struct loop *l, int fd, const void *buf, unsigned int len,
	       uint64_t off, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_write(sqe, fd, buf, len, off);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_fsync(struct loop *l, int fd, bool datasync, bool link, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
	io_uring_sqe_set_data64(sqe, tag);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	return 0;
}

int loop_renameat(struct loop *l, int dfd, const char *from, const char *to,
		  bool link, uint64_t tag)
{
	struct io_uring_sqe *sqe;

	/*
	 * Linked: the next SQE must go in the same submission, or the link
	 * would be cut (or join whatever is queued next)
	 */
	if (link && io_uring_sq_space_left(&l->ring) < 2) {
		io_uring_submit(&l->ring);
		l->enters++;
	}
	sqe = get_sqe(l);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_renameat(sqe, dfd, from, dfd, to, 0);
	io_uring_sqe_set_data64(sqe, tag);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	return 0;
}

int loop_write_append(struct loop *l, int fd, const void *buf, unsigned int len,
		      bool link, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	/* offset -1: the file position, which O_APPEND puts at the end */
	io_uring_prep_write(sqe, fd, buf, len, (uint64_t)-1);
	io_uring_sqe_set_data64(sqe, tag);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	return 0;
}

int loop_statx(struct loop *l, int dfd, const char *path, struct statx *stx,
	       uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_statx(sqe, dfd, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, stx);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_openat(struct loop *l, int dfd, const char *path, int flags,
		unsigned int mode, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_openat(sqe, dfd, path, flags, mode);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_close(struct loop *l, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

int loop_unlinkat(struct loop *l, int dfd, const char *path, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_unlinkat(sqe, dfd, path, 0);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}
/* END recording */
