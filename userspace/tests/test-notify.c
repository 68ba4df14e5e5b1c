// SPDX-License-Identifier: GPL-2.0-or-later
/* sd_notify protocol of vigild (agent/notify.c): path and abstract sockets. */
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../agent/notify.c"
#include "t.h"

static int t_listen(const char *name, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, name, strlen(name));
	if (abstract)
		sa.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len)) {
		perror("bind");
		exit(1);
	}
	return fd;
}

static void t_expect(int fd, const char *msg)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	T_ASSERT(n > 0);
	if (n > 0) {
		buf[n] = '\0';
		T_ASSERT(!strcmp(buf, msg));
	}
}

int main(void)
{
	struct notifier n;
	char path[64], env[80];
	int fd;

	/* not under systemd: a no-op */
	unsetenv("NOTIFY_SOCKET");
	T_EQ(notify_open(&n), 0);
	T_EQ(n.fd, -1);
	T_EQ(notify_send(&n, "READY=1"), 0);

	/* socket path, with watchdog for this pid */
	snprintf(path, sizeof(path), "/tmp/vigil-notify-%d", getpid());
	unlink(path);
	fd = t_listen(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	snprintf(env, sizeof(env), "%d", getpid());
	setenv("WATCHDOG_PID", env, 1);
	T_EQ(notify_open(&n), 0);
	T_ASSERT(n.fd >= 0);
	T_EQ(n.watchdog_ns, 2000000000ULL);
	T_EQ(notify_send(&n, "READY=1"), 0);
	t_expect(fd, "READY=1");
	T_EQ(notify_send(&n, "WATCHDOG=1"), 0);
	t_expect(fd, "WATCHDOG=1");
	notify_close(&n);
	close(fd);
	unlink(path);

	/* abstract socket; watchdog meant for another pid is ignored */
	snprintf(path, sizeof(path), "@vigil-notify-%d", getpid());
	fd = t_listen(path, true);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_PID", "1", 1);
	T_EQ(notify_open(&n), 0);
	T_EQ(n.watchdog_ns, 0);
	T_EQ(notify_send(&n, "STOPPING=1"), 0);
	t_expect(fd, "STOPPING=1");
	notify_close(&n);
	close(fd);

	/* bad address */
	setenv("NOTIFY_SOCKET", "relative", 1);
	T_EQ(notify_open(&n), -EINVAL);
	return t_done();
}
