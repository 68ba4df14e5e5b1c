// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Does io_uring's zero-copy send (IORING_OP_SEND_ZC) pay for vigild's HTTP
 * output? The same bytes are sent over a loopback TCP connection with
 * IORING_OP_SEND and with IORING_OP_SEND_ZC (waiting for the notification
 * before a buffer is reused, as a server must), in rounds that alternate
 * the two, at the write sizes vigild uses: a live frame (64 KiB) and a clip
 * download (256 KiB, the socket buffer vigild sets). The figure is the
 * sender's CPU time per MiB with SEND_ZC against SEND in the same run
 * (ratio < 1: zero copy pays). vigild serves loopback by default (behind a
 * TLS proxy on the device), where the kernel copies a zero-copy skb anyway
 * when it is delivered locally; a real NIC with scatter-gather is the case
 * where it can pay, and that cannot be measured on this machine.
 * Prints one JSON object per figure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOTAL (256u << 20)	/* bytes per round */
#define ROUNDS 5
#define SNDBUF (256 << 10)

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "send-zc: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *drain(void *arg)
{
	const int fd = *(int *)arg;
	static char buf[1 << 20];
	size_t got = 0;

	while (got < TOTAL) {
		const ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			die("recv", n ? errno : EPIPE);
		got += (size_t)n;
	}
	return NULL;
}

static void tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	const int snd = SNDBUF;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		die("listen", errno);
	*tx = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*tx < 0 || connect(*tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect", errno);
	*rx = accept(l, NULL, NULL);
	if (*rx < 0)
		die("accept", errno);
	close(l);
	/* as vigild sets it on its clients */
	setsockopt(*tx, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
}

/* One round: TOTAL bytes in @chunk writes; the sender's CPU ns, or 0. */
static uint64_t round_one(struct io_uring *ring, bool zc, size_t chunk,
			  unsigned char *buf)
{
	int tx, rx;
	pthread_t th;
	size_t sent = 0;
	uint64_t t0;
	bool unsupported = false;

	tcp_pair(&tx, &rx);
	if (pthread_create(&th, NULL, drain, &rx))
		die("pthread_create", EAGAIN);
	t0 = thread_cpu_ns();
	while (sent < TOTAL) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		unsigned int pending = 1;
		const size_t n = TOTAL - sent < chunk ? TOTAL - sent : chunk;
		int ret;

		if (zc)
			io_uring_prep_send_zc(sqe, tx, buf, n, 0, 0);
		else
			io_uring_prep_send(sqe, tx, buf, n, 0);
		io_uring_submit(ring);
		/* the result, and for SEND_ZC the notification that frees buf */
		while (pending) {
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret)
				die("io_uring_wait_cqe", -ret);
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				pending--;
			} else {
				if (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP)
					unsupported = true;
				else if (cqe->res < 0)
					die("send", -cqe->res);
				else
					sent += (size_t)cqe->res;
				pending--;
				if (cqe->flags & IORING_CQE_F_MORE)
					pending++;
			}
			io_uring_cqe_seen(ring, cqe);
		}
		if (unsupported)
			break;
	}
	t0 = thread_cpu_ns() - t0;
	if (unsupported) {
		shutdown(tx, SHUT_RDWR);
		close(rx);
	}
	pthread_join(th, NULL);
	close(tx);
	if (!unsupported)
		close(rx);
	return unsupported ? 0 : t0;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static const size_t chunks[] = { 64 << 10, SNDBUF };
	struct io_uring ring;
	unsigned char *buf;
	int ret;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret)
		die("io_uring_queue_init", -ret);
	buf = malloc(SNDBUF);
	if (!buf)
		die("malloc", ENOMEM);
	memset(buf, 0x5a, SNDBUF);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		uint64_t s[ROUNDS], z[ROUNDS];
		double ms, mz;

		for (int r = 0; r < ROUNDS; r++) {
			s[r] = round_one(&ring, false, chunks[c], buf);
			z[r] = round_one(&ring, true, chunks[c], buf);
			if (!z[r]) {
				fprintf(stderr, "send-zc: this kernel has no IORING_OP_SEND_ZC\n");
				return 1;
			}
		}
		qsort(s, ROUNDS, sizeof(s[0]), cmp_u64);
		qsort(z, ROUNDS, sizeof(z[0]), cmp_u64);
		/* medians, in µs of sender CPU per MiB */
		ms = (double)s[ROUNDS / 2] / 1e3 / (TOTAL >> 20);
		mz = (double)z[ROUNDS / 2] / 1e3 / (TOTAL >> 20);
		printf("{\"name\":\"http send_zc: sender CPU per MiB, %zu KiB writes, loopback\","
		       "\"figure\":%.1f,\"unit\":\"us/MiB\",\"baseline\":%.1f,"
		       "\"baseline_name\":\"IORING_OP_SEND, same run\",\"ratio\":%.3f,"
		       "\"goal\":\"< 1 for SEND_ZC to pay\"}\n",
		       chunks[c] >> 10, mz, ms, mz / ms);
	}
	free(buf);
	io_uring_queue_exit(&ring);
	return 0;
}
