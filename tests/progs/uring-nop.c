// SPDX-License-Identifier: GPL-2.0
/*
 * Submit one IORING_OP_NOP through liburing and reap its completion; proves
 * io_uring works in the guest kernel.  Exit 0 on success, 1 on failure,
 * 77 when io_uring is disabled there.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM) {
		fprintf(stderr, "io_uring unavailable: %s\n", strerror(-ret));
		return 77;
	}
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 0x5eed);
	ret = io_uring_submit(&ring);
	if (ret != 1) {
		fprintf(stderr, "io_uring_submit: %d\n", ret);
		goto fail;
	}
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		goto fail;
	}
	if (cqe->res != 0 || io_uring_cqe_get_data64(cqe) != 0x5eed) {
		fprintf(stderr, "bad completion: res %d data %llx\n", cqe->res,
			(unsigned long long)io_uring_cqe_get_data64(cqe));
		goto fail;
	}
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	printf("io_uring NOP completed\n");
	return 0;
fail:
	io_uring_queue_exit(&ring);
	return 1;
}
