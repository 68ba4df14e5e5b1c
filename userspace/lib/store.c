// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip store's shared rules: what a clip id looks like, and the access
 * audit log (every clip read, export, stream, pull, upload and deletion by
 * vigil, one JSON line each). Used by vigild's recorder, its HTTP server,
 * its uploader and by vigil-clip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* YYYYMMDDTHHMMSSZ-NNNN: digits and separators exactly where they belong. */
bool vigil_clip_id_valid(const char *id)
{
	static const char shape[] = "00000000T000000Z-0000";
	size_t i;

	if (!id)
		return false;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == '0') {
			if (id[i] < '0' || id[i] > '9')
				return false;
		} else if (id[i] != shape[i]) {
			return false;
		}
	}
	return id[i] == '\0';
}

int vigil_clip_id_make(char *buf, size_t len, time_t start, unsigned int seq)
{
	struct tm tm;
	int n;

	if (len < VIGIL_CLIP_ID_LEN + 1 || seq > 9999 || !gmtime_r(&start, &tm))
		return -EINVAL;
	n = snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ-%04u",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, seq);
	if (n != VIGIL_CLIP_ID_LEN || !vigil_clip_id_valid(buf))
		return -EINVAL;	/* a year outside 0000-9999 */
	return 0;
}

static const char *const audit_actions[] = {
	"read", "export", "stream", "delete", "pull", "upload", "decrypt",
};

bool vigil_audit_action_valid(const char *action)
{
	size_t i;

	for (i = 0; action && i < sizeof(audit_actions) / sizeof(*audit_actions); i++)
		if (!strcmp(action, audit_actions[i]))
			return true;
	return false;
}

/* JSON string body of @s into @out (at most @cap bytes with the NUL). */
static int json_escape(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		size_t n;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		} else {
			tmp[0] = (char)c;
			n = 1;
		}
		if (o + n >= cap)
			return -ENAMETOOLONG;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

int vigil_audit_format(char *line, size_t len, time_t when, const char *action,
		       const char *clip_id, const char *client)
{
	char who[VIGIL_AUDIT_CLIENT_MAX * 6 + 1], ts[32];
	struct tm tm;
	int n;

	if (!vigil_audit_action_valid(action) || !vigil_clip_id_valid(clip_id) ||
	    !client || !*client || strlen(client) > VIGIL_AUDIT_CLIENT_MAX)
		return -EINVAL;
	if (json_escape(who, sizeof(who), client) || !gmtime_r(&when, &tm) ||
	    !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -EINVAL;
	n = snprintf(line, len,
		     "{\"ts\":\"%s\",\"action\":\"%s\",\"clip\":\"%s\",\"client\":\"%s\"}\n",
		     ts, action, clip_id, who);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

int vigil_audit_append(const char *path, const char *action,
		       const char *clip_id, const char *client, char *err,
		       size_t errlen)
{
	char line[VIGIL_AUDIT_LINE_MAX];
	ssize_t w;
	int fd, n, ret = 0;

	n = vigil_audit_format(line, sizeof(line), time(NULL), action, clip_id,
			       client);
	if (n < 0) {
		seterr(err, errlen,
		       "audit: refusing a malformed record (action '%s', clip '%s')",
		       action ? action : "(null)", clip_id ? clip_id : "(null)");
		return n;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "audit log %s: %s", path, strerror(errno));
		return ret;
	}
	/* One write of a short line with O_APPEND: records never interleave. */
	w = write(fd, line, (size_t)n);
	if (w != n) {
		ret = w < 0 ? -errno : -ENOSPC;
		seterr(err, errlen, "audit log %s: %s", path, strerror(-ret));
	} else if (fdatasync(fd)) {
		ret = -errno;
		seterr(err, errlen, "audit log %s: fdatasync: %s", path,
		       strerror(errno));
	}
	if (close(fd) && !ret) {
		ret = -errno;
		seterr(err, errlen, "audit log %s: %s", path, strerror(errno));
	}
	return ret;
}

/* Copy the JSON string value of "key" in @line, unescaping \" and \\. */
static int json_field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *p;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p)
		return -EBADMSG;
	for (p += strlen(pat); *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			p++;
			if (*p == 'u') {
				unsigned int v;

				if (sscanf(p + 1, "%4x", &v) != 1)
					return -EBADMSG;
				c = v < 0x20 || v == 0x7f ? '?' : (char)v;
				p += 4;
			} else if (*p == '"' || *p == '\\') {
				c = *p;
			} else {
				return -EBADMSG;
			}
		}
		if (o + 1 >= cap)
			return -EBADMSG;
		out[o++] = c;
	}
	if (*p != '"')
		return -EBADMSG;
	out[o] = '\0';
	return 0;
}

int vigil_audit_parse(const char *line, struct vigil_audit_rec *r)
{
	size_t len = strlen(line);

	if (len < 2 || line[0] != '{' ||
	    (line[len - 1] != '}' && !(line[len - 1] == '\n' && line[len - 2] == '}')))
		return -EBADMSG;
	if (json_field(line, "ts", r->ts, sizeof(r->ts)) ||
	    json_field(line, "action", r->action, sizeof(r->action)) ||
	    json_field(line, "clip", r->clip, sizeof(r->clip)) ||
	    json_field(line, "client", r->client, sizeof(r->client)))
		return -EBADMSG;
	if (!vigil_audit_action_valid(r->action) || !vigil_clip_id_valid(r->clip))
		return -EBADMSG;
	return 0;
}
