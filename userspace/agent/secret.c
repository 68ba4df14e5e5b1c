// SPDX-License-Identifier: GPL-2.0-or-later
/* Secrets (an MQTT password, a push token) read from files of their own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"

int secret_read(const char *path, char *buf, size_t len, char *err,
		size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open secret %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		ret = -EPERM;
		snprintf(err, errlen, "secret %s must be a regular file readable by its owner "
			 "only (chmod 600)", path);
		goto out;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "reading secret %s: %s", path, strerror(-ret));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	ret = 0;
	if (!buf[0]) {
		ret = -EINVAL;
		snprintf(err, errlen, "secret %s is empty", path);
	}
out:
	close(fd);
	return ret;
}
