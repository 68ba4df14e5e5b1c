// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-clip end to end: keygen, encode (lossless, near-lossless, sealed),
 * info, verify (exit status), export Y4M byte-exact, recover a truncated
 * clip, decrypt, and clear errors with the documented exit status for bad
 * input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

static char tool[512], dir[64], out[8192];

/* Run "vigil-clip ARGS" in dir; output in out[]; returns the exit status. */
__attribute__((format(printf, 1, 2)))
static int t_run(const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	FILE *fp;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd %s && %s %s 2>&1", dir, tool, args);
	fp = popen(cmd, "r");
	if (!fp)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = 0;
	st = pclose(fp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t t_size(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) ? 0 : (size_t)st.st_size;
}

/* A 64x48 mono Y4M of a scenario's first frames. */
static void t_make_y4m(const char *name, unsigned int frames)
{
	struct vigil_y4m_info info = { .width = 64, .height = 48, .fps_num = 10,
				       .fps_den = 1, .fmt = VIGIL_FMT_GREY,
				       .frame_size = 64 * 48 };
	uint64_t seed = 3;
	char p[256], hdr[128];
	uint8_t f[64 * 48];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	vigil_y4m_format_header(hdr, sizeof(hdr), &info);
	fputs(hdr, fp);
	for (unsigned int i = 0; i < frames; i++) {
		for (unsigned int k = 0; k < sizeof(f); k++)
			f[k] = (uint8_t)(k % 64 * 2 + (k / 64 > 20 && k % 64 > i) * 50 +
					 (t_rand(&seed) & 3));
		fputs("FRAME\n", fp);
		fwrite(f, 1, sizeof(f), fp);
	}
	fclose(fp);
}

int main(void)
{
	char cmd[512];

	/* VIGIL_TOOLS: where the tools are installed (run-ptest) */
	if (getenv("VIGIL_TOOLS"))
		snprintf(tool, sizeof(tool), "%s/vigil-clip", getenv("VIGIL_TOOLS"));
	else if (t_builddir())
		snprintf(tool, sizeof(tool), "%s/tools/vigil-clip", t_builddir());
	else
		return T_SKIP;
	if (access(tool, X_OK)) {
		fprintf(stderr, "%s: %s\n", tool, strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-clip-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	t_make_y4m("in.y4m", 20);

	T_EQ(t_run("--help"), 0);
	T_STRSTR(out, "recover");
	T_EQ(t_run("keygen -o owner"), 0);
	T_EQ(t_run("keygen -o owner"), 1);	/* never overwrites a key */
	T_EQ(t_run("encode -k 5 -c porch in.y4m a.clip"), 0);
	T_STRSTR(out, "20 frames");
	T_EQ(t_run("info a.clip"), 0);
	T_STRSTR(out, "porch");
	T_STRSTR(out, "complete");
	T_STRSTR(out, "20 in 4 groups");
	T_EQ(t_run("verify a.clip"), 0);
	T_STRSTR(out, "OK, 20 frames");
	/* export is byte-exact with the source frames */
	T_EQ(t_run("export a.clip out.y4m"), 0);
	T_EQ(t_size("out.y4m") > 20 * 64 * 48, 1);
	snprintf(cmd, sizeof(cmd), "cd %s && tail -c %u in.y4m > a && "
		 "tail -c %u out.y4m > b && cmp -s a b", dir, 20 * (64 * 48 + 6),
		 20 * (64 * 48 + 6));
	T_EQ(system(cmd), 0);
	/* near-lossless is smaller */
	T_EQ(t_run("encode -n 2 in.y4m n.clip"), 0);
	T_ASSERT(t_size("n.clip") < t_size("a.clip"));
	/* truncated: verify says so, recover saves the complete frames */
	snprintf(cmd, sizeof(cmd), "cd %s && head -c %zu a.clip > t.clip", dir,
		 t_size("a.clip") / 2);
	T_EQ(system(cmd), 0);
	T_EQ(t_run("verify t.clip"), 1);
	T_STRSTR(out, "truncated");
	T_EQ(t_run("recover t.clip r.clip"), 0);
	T_STRSTR(out, "recovered");
	T_EQ(t_run("verify r.clip"), 0);
	/* sealed */
	T_EQ(t_run("encode -p owner.pub in.y4m s.clip"), 0);
	T_EQ(t_run("verify s.clip"), 0);
	T_STRSTR(out, "not authenticated");
	T_EQ(t_run("export s.clip x.y4m"), 1);
	T_STRSTR(out, "sealed");
	T_EQ(t_run("verify -K owner.key s.clip"), 0);
	T_STRSTR(out, "every frame authenticated");
	T_EQ(t_run("keygen -o other"), 0);
	T_EQ(t_run("verify -K other.key s.clip"), 1);
	T_STRSTR(out, "wrong owner key");
	T_EQ(t_run("decrypt -K owner.key s.clip d.clip"), 0);
	T_EQ(t_run("info d.clip"), 0);
	T_STRSTR(out, "sealed:    no");
	T_EQ(t_run("export d.clip d.y4m"), 0);
	T_EQ(t_size("d.y4m"), t_size("out.y4m"));
	/* a flipped byte in a sealed frame, checksum intact: damaged */
	snprintf(cmd, sizeof(cmd), "cd %s && cp s.clip f.clip && printf 'X' | "
		 "dd of=f.clip bs=1 seek=%zu conv=notrunc 2>/dev/null", dir,
		 t_size("s.clip") / 2);
	T_EQ(system(cmd), 0);
	T_EQ(t_run("verify -K owner.key f.clip"), 1);
	T_STRSTR(out, "damaged");
	/* bad input: clear message, documented status */
	T_EQ(t_run("info in.y4m"), 2);
	T_STRSTR(out, "not a vigil clip");
	T_EQ(t_run("encode a.clip z.clip"), 1);
	T_STRSTR(out, "Y4M");
	T_EQ(t_run("encode -n 40 in.y4m z.clip"), 2);
	T_EQ(t_run("verify missing.clip"), 1);
	T_STRSTR(out, "No such file");
	T_EQ(t_run("frobnicate"), 2);
	T_EQ(t_run("encode -p in.y4m in.y4m z.clip"), 1);
	T_STRSTR(out, "not a vigil public");
	T_EQ(t_size("z.clip"), 0);

	/* audit: records printed, filtered by clip; a torn line is flagged */
	{
		char log[128], err[256];

		snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
		T_EQ(vigil_audit_append(log, "stream", "20261127T101500Z-0001",
					"192.0.2.7", err, sizeof(err)), 0);
		T_EQ(vigil_audit_append(log, "delete", "20261127T101600Z-0002",
					"retention", err, sizeof(err)), 0);
		T_EQ(t_run("audit audit.jsonl"), 0);
		T_STRSTR(out, "stream   20261127T101500Z-0001  192.0.2.7");
		T_STRSTR(out, "delete   20261127T101600Z-0002  retention");
		T_EQ(t_run("audit -i 20261127T101600Z-0002 audit.jsonl"), 0);
		T_ASSERT(!strstr(out, "192.0.2.7"));
		T_EQ(t_run("audit -i ../x audit.jsonl"), 2);
		T_EQ(t_run("audit missing.jsonl"), 1);
		snprintf(cmd, sizeof(cmd), "printf '{\"ts\":\"20' >>%s", log);
		T_EQ(system(cmd), 0);
		T_EQ(t_run("audit audit.jsonl"), 1);
		T_STRSTR(out, "audit.jsonl:3: not an audit record");
		T_STRSTR(out, "retention");
	}

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return t_done();
}
