// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify without libsystemd: one datagram per message to the unix
 * socket named by $NOTIFY_SOCKET ('@' = abstract namespace).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vigild.h"

static int notify_addr(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!path || !*path)
		return -ENOENT;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa->sun_path))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int notify_open(struct notifier *n)
{
	const char *wd = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	struct sockaddr_un sa;
	socklen_t len;
	int ret;

	n->fd = -1;
	n->watchdog_ns = 0;
	ret = notify_addr(&sa, &len);
	if (ret == -ENOENT)
		return 0;	/* not started by systemd: nothing to do */
	if (ret)
		return ret;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return -errno;
	if (connect(n->fd, (struct sockaddr *)&sa, len)) {
		ret = -errno;
		close(n->fd);
		n->fd = -1;
		return ret;
	}
	if (wd && (!pid || (pid_t)atol(pid) == getpid())) {
		const unsigned long long us = strtoull(wd, NULL, 10);

		n->watchdog_ns = us * 1000ULL;
	}
	return 0;
}

int notify_send(const struct notifier *n, const char *msg)
{
	if (n->fd < 0)
		return 0;
	/* never block the loop: a full queue drops the message */
	if (send(n->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

void notify_close(struct notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
