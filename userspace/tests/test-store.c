// SPDX-License-Identifier: GPL-2.0-or-later
/* The clip store's rules: clip ids, audit records, the audit log file. */
#include <fcntl.h>
#include <sys/stat.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

static void ids(void)
{
	char id[VIGIL_CLIP_ID_LEN + 1];

	T_ASSERT(vigil_clip_id_valid("20261127T101500Z-0001"));
	T_ASSERT(!vigil_clip_id_valid(""));
	T_ASSERT(!vigil_clip_id_valid(NULL));
	T_ASSERT(!vigil_clip_id_valid("20261127T101500Z-00011"));
	T_ASSERT(!vigil_clip_id_valid("20261127T101500Z-001"));
	T_ASSERT(!vigil_clip_id_valid("../../etc/passwd"));
	T_ASSERT(!vigil_clip_id_valid("20261127T101500Z-000/"));
	T_ASSERT(!vigil_clip_id_valid("2026112xT101500Z-0001"));
	T_ASSERT(!vigil_clip_id_valid("20261127t101500Z-0001"));
	T_ASSERT(!vigil_clip_id_valid("20261127T101500Z-0001.vclip"));

	T_EQ(vigil_clip_id_make(id, sizeof(id), 1795774500, 7), 0);
	T_ASSERT(!strcmp(id, "20261127T101500Z-0007"));
	T_ASSERT(vigil_clip_id_valid(id));
	T_EQ(vigil_clip_id_make(id, sizeof(id), 0, 10000), -EINVAL);
	T_EQ(vigil_clip_id_make(id, VIGIL_CLIP_ID_LEN, 0, 1), -EINVAL);
}

static void records(void)
{
	char line[VIGIL_AUDIT_LINE_MAX], big[VIGIL_AUDIT_CLIENT_MAX + 2];
	struct vigil_audit_rec r;
	int n;

	n = vigil_audit_format(line, sizeof(line), 1795774500, "stream",
			       "20261127T101500Z-0001", "192.0.2.7 token 3");
	T_ASSERT(n > 0);
	T_ASSERT(!strcmp(line, "{\"ts\":\"2026-11-27T10:15:00Z\",\"action\":\"stream\","
			 "\"clip\":\"20261127T101500Z-0001\",\"client\":\"192.0.2.7 token 3\"}\n"));
	T_EQ(vigil_audit_parse(line, &r), 0);
	T_ASSERT(!strcmp(r.ts, "2026-11-27T10:15:00Z"));
	T_ASSERT(!strcmp(r.action, "stream"));
	T_ASSERT(!strcmp(r.client, "192.0.2.7 token 3"));

	/* A client name cannot forge fields or lines. */
	n = vigil_audit_format(line, sizeof(line), 0, "read", "20261127T101500Z-0001",
			       "x\",\"action\":\"delete\n\\");
	T_ASSERT(n > 0);
	T_ASSERT(!strchr(line, '\n') || strchr(line, '\n') == line + n - 1);
	T_EQ(vigil_audit_parse(line, &r), 0);
	T_ASSERT(!strcmp(r.action, "read"));
	T_ASSERT(!strcmp(r.client, "x\",\"action\":\"delete?\\"));

	T_EQ(vigil_audit_format(line, sizeof(line), 0, "watch", "20261127T101500Z-0001", "c"),
	     -EINVAL);
	T_EQ(vigil_audit_format(line, sizeof(line), 0, "read", "../x", "c"), -EINVAL);
	T_EQ(vigil_audit_format(line, sizeof(line), 0, "read", "20261127T101500Z-0001", ""),
	     -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ(vigil_audit_format(line, sizeof(line), 0, "read", "20261127T101500Z-0001", big),
	     -EINVAL);
	T_EQ(vigil_audit_format(line, 20, 0, "read", "20261127T101500Z-0001", "c"),
	     -ENAMETOOLONG);

	T_EQ(vigil_audit_parse("{\"ts\":\"x\",\"action\":\"read\"", &r), -EBADMSG);
	T_EQ(vigil_audit_parse("not json\n", &r), -EBADMSG);
	T_EQ(vigil_audit_parse("{\"ts\":\"x\",\"action\":\"eat\",\"clip\":"
			       "\"20261127T101500Z-0001\",\"client\":\"c\"}", &r), -EBADMSG);
}

static void log_file(void)
{
	char dir[] = "/tmp/vigil-store-XXXXXX", path[128], err[256], buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	T_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	T_EQ(vigil_audit_append(path, "export", "20261127T101500Z-0001", "vigil-clip",
				err, sizeof(err)), 0);
	T_EQ(vigil_audit_append(path, "delete", "20261127T101500Z-0002", "retention",
				err, sizeof(err)), 0);
	T_EQ(vigil_audit_append(path, "delete", "bad", "retention", err, sizeof(err)),
	     -EINVAL);
	T_STRSTR(err, "malformed");
	T_EQ(stat(path, &st), 0);
	T_EQ(st.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	T_ASSERT(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	T_STRSTR(buf, "\"action\":\"export\"");
	T_STRSTR(buf, "\"clip\":\"20261127T101500Z-0002\"");
	T_ASSERT(!strstr(buf, "bad"));

	/* A symlink in the log's place is refused, not followed. */
	snprintf(buf, sizeof(buf), "%s/link", dir);
	T_EQ(symlink(path, buf), 0);
	T_ASSERT(vigil_audit_append(buf, "read", "20261127T101500Z-0001", "c", err,
				    sizeof(err)) < 0);
	T_STRSTR(err, "audit log");
	unlink(buf);
	/* An unwritable place gives a message naming it. */
	snprintf(buf, sizeof(buf), "%s/no/such/dir/audit.jsonl", dir);
	T_EQ(vigil_audit_append(buf, "read", "20261127T101500Z-0001", "c", err,
				sizeof(err)), -ENOENT);
	T_STRSTR(err, "no/such/dir");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	ids();
	records();
	log_file();
	return t_done();
}
