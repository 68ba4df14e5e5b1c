// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Leftover <id>.vclip.part files (issue #8), end to end on the replay
 * source:
 * - vigild killed with SIGKILL mid-clip, started again: its old .part
 *   becomes <id>.vclip, which `vigil-clip verify` accepts with as many
 *   frames as `vigil-clip recover` gives on a copy; sealed too, without
 *   the owner's key on the device; files that are not vigil's clips (a
 *   foreign x.vclip.part, a foreign <id>.vclip.part) are untouched; a
 *   .part holding a header and nothing else is deleted, audited;
 * - retention counts a .part it cannot recover (magic, header cut) in
 *   max_bytes and evicts it oldest first, audited; a foreign one stays.
 */
#include <dirent.h>
#include <sys/mman.h>

#include "t-vigild.h"

static char clip_tool[600];

/* Run a command, stdout into @out (may be NULL); its exit status. */
static int run(const char *const *argv, char *out, size_t len)
{
	int pfd[2], status;
	size_t n = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[512];
		const ssize_t k = read(pfd[0], tmp, sizeof(tmp));

		if (k <= 0)
			break;
		if (out && n + (size_t)k < len) {
			memcpy(out + n, tmp, (size_t)k);
			n += (size_t)k;
		}
	}
	if (out)
		out[n] = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The number after @key in @s, or -1. */
static long num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The first name in @dir ending in @ext (not in .part when @ext is .vclip). */
static bool find(const char *dir, const char *ext, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		const size_t l = strlen(de->d_name), e = strlen(ext);

		if (l > e && !strcmp(de->d_name + l - e, ext) && de->d_name[0] == '2') {
			snprintf(name, len, "%s", de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	T_ASSERT(fp && fwrite(data, 1, len, fp) == len);
	if (fp)
		fclose(fp);
}

static bool same_file(const char *path, const void *data, size_t len)
{
	char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return false;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return n == len && !memcmp(buf, data, len);
}

static int file_sink(void *arg, const void *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len ? 0 : -EIO;
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "%s failed\n", cmd);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[1300];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	T_EQ(system(cmd), 0);
}

/*
 * vigild records, looping over the scene, until a synced .part of some
 * size exists; then SIGKILL. 0, and the .part's name in @part.
 */
static int record_and_kill(const char *src, const char *dir, const char *key_set,
			   char *part, size_t len)
{
	char set[300];
	const char *argv[] = { t_vigild_path, "--source", src, "--fast", "--loop",
			       "--policy", "video-only", "--events", "/dev/null",
			       "--set", set, "--set", "record.preroll_s=1",
			       "--set", "record.keyint=5", "--set", "record.sync_frames=4",
			       "--set", "record.max_clip_s=60", "--set", "record.postroll_s=30",
			       "--set", "record.merge_gap_s=30",
			       key_set ? "--set" : NULL, key_set, NULL };
	char path[200];
	int status, waited = 0;
	pid_t pid;

	snprintf(set, sizeof(set), "record.dir=%s", dir);
	pid = fork();
	if (pid == 0) {
		const int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* a clip open for a while: several syncs on disk */
	for (;;) {
		struct timespec ts = { 0, 20000000 };

		if (find(dir, ".vclip.part", part, len)) {
			snprintf(path, sizeof(path), "%s/%s", dir, part);
			if (file_size(path) > 200000)
				break;
		}
		if (++waited > 500) {
			fprintf(stderr, "no clip recorded in 10 s\n");
			t_failures++;
			break;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* still open when killed (a post-roll of 30 s keeps it so) */
	return file_size(path) > 200000 ? 0 : -1;
}

/* 1: SIGKILL mid-clip, then a start recovers the .part. */
static void test_recover(const char *src, bool sealed)
{
	static const char foreign[] = "somebody else's file, not a clip\n";
	char dir[] = "/tmp/vigil-part-XXXXXX", set[300], part[64], path[100], copy[100];
	char out[4096], fin[100], key_set[200] = "", pub[100], sec[100], audit[100];
	char foreign1[100], foreign2[100], empty[100];
	long want, got;
	int st;

	T_ASSERT(mkdtemp(dir));
	if (sealed) {
		const char *kg[] = { clip_tool, "keygen", "-o", pub, NULL };

		snprintf(pub, sizeof(pub), "%s-owner", dir);
		T_EQ(run(kg, NULL, 0), 0);
		snprintf(sec, sizeof(sec), "%s-owner.key", dir);
		snprintf(pub, sizeof(pub), "%s-owner.pub", dir);
		snprintf(key_set, sizeof(key_set), "record.owner_key=%s", pub);
	}
	if (record_and_kill(src, dir, sealed ? key_set : NULL, part, sizeof(part))) {
		fprintf(stderr, "no .part left by the kill\n");
		t_failures++;
		rm_dir(dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, part);
	/* what vigil-clip recover makes of a copy, without the owner's key */
	snprintf(copy, sizeof(copy), "%s-copy.part", dir);
	copy_file(path, copy);
	{
		char rec[100];
		const char *a[] = { clip_tool, "recover", copy, rec, NULL };

		snprintf(rec, sizeof(rec), "%s-copy.vclip", dir);
		T_EQ(run(a, out, sizeof(out)), 0);
		want = num_after(out, "recovered ");
		T_ASSERT(want > 0);
		unlink(rec);
	}
	/* not vigil's: neither may be touched */
	snprintf(foreign1, sizeof(foreign1), "%s/x.vclip.part", dir);
	write_file(foreign1, foreign, sizeof(foreign) - 1);
	snprintf(foreign2, sizeof(foreign2), "%s/20000101T000000Z-0001.vclip.part", dir);
	write_file(foreign2, foreign, sizeof(foreign) - 1);
	/* vigil's header, nothing else: deleted, audited */
	snprintf(empty, sizeof(empty), "%s/20000101T000000Z-0002.vclip.part", dir);
	{
		struct vigil_clip_header h = { .fps_num = 15, .fps_den = 1 };
		struct vigil_clip_writer *w;
		FILE *fp = fopen(empty, "w");

		vigil_codec_params_default(&h.codec);
		h.codec.width = 320;
		h.codec.height = 240;
		snprintf(h.camera, sizeof(h.camera), "test");
		T_ASSERT(fp);
		T_EQ(vigil_clip_writer_new(&h, NULL, file_sink, fp, &w), 0);
		vigil_clip_writer_free(w);
		fclose(fp);
	}
	/* started again: one pass over the scene (its alarm: a new clip) */
	snprintf(set, sizeof(set), "record.dir=%s", dir);
	{
		const char *args[] = { "--source", src, "--fast", "--policy", "video-only",
				       "--events", "/dev/null", "--stats", "--set", set,
				       sealed ? "--set" : NULL, key_set, NULL };

		st = t_vigild(args, false, 0);
	}
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "recovered into");
	T_EQ(num_after(t_err, " parts_recovered "), 1);
	/* the .part is gone; its clip verifies with the same frames */
	T_EQ(file_size(path), -1);
	snprintf(fin, sizeof(fin), "%s/%.*s.vclip", dir, VIGIL_CLIP_ID_LEN, part);
	{
		const char *a[] = { clip_tool, "verify", fin, NULL, NULL, NULL };

		if (sealed) {
			a[2] = "-K";
			a[3] = sec;
			a[4] = fin;
		}
		T_EQ(run(a, out, sizeof(out)), 0);
		got = num_after(out, "OK, ");
		fprintf(stderr, "%s: %s", sealed ? "sealed" : "plain", out);
	}
	T_EQ(got, want);
	T_ASSERT(same_file(foreign1, foreign, sizeof(foreign) - 1));
	T_ASSERT(same_file(foreign2, foreign, sizeof(foreign) - 1));
	T_STRSTR(t_err, "not a vigil clip");
	T_EQ(file_size(empty), -1);
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", dir);
	t_slurp(audit, t_out, sizeof(t_out));
	T_STRSTR(t_out, "\"action\":\"delete\",\"clip\":\"20000101T000000Z-0002\","
		 "\"client\":\"recovery\"");
	/* the recovered clip is never deleted as a leftover */
	T_ASSERT(!strstr(t_out, part));
	fprintf(stderr, "%s: killed mid-clip, %s recovered at the next start: %ld frames, "
		"as vigil-clip recover\n", sealed ? "sealed" : "plain", part, got);
	unlink(copy);
	if (sealed) {
		unlink(sec);
		unlink(pub);
	}
	rm_dir(dir);
}

/* 2: a .part retention cannot recover counts in max_bytes and goes first. */
static void test_budget(const char *src)
{
	static const char foreign[] = "not a clip either\n";
	char dir[] = "/tmp/vigil-part-budget-XXXXXX", set[300], kept[100], other[100];
	char audit[100];
	static char big[3 << 20];
	int st;

	T_ASSERT(mkdtemp(dir));
	/* the magic, then no readable header: vigil's, not recoverable */
	memset(big, 0x5a, sizeof(big));
	memcpy(big, "VIGILCLP", 8);
	snprintf(kept, sizeof(kept), "%s/20000101T000000Z-0001.vclip.part", dir);
	write_file(kept, big, sizeof(big));
	snprintf(other, sizeof(other), "%s/20000101T000000Z-0002.vclip.part", dir);
	write_file(other, foreign, sizeof(foreign) - 1);
	snprintf(set, sizeof(set), "record.dir=%s", dir);
	{
		/*
		 * 4 MiB: the .part (3 MiB) alone fits, and so does the clip
		 * this run records (about 2.4 MiB), not both
		 */
		const char *args[] = { "--source", src, "--fast", "--policy", "video-only",
				       "--events", "/dev/null", "--stats", "--set", set,
				       "--set", "record.max_bytes=4194304", NULL };

		st = t_vigild(args, false, 0);
	}
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "clip header unreadable");
	T_STRSTR(t_err, "retention: deleted 20000101T000000Z-0001.vclip.part (max_bytes)");
	/* once the clip was there: its bytes and the .part's went over */
	T_ASSERT(strstr(t_err, "vigild: recorded ") &&
		 strstr(t_err, "vigild: recorded ") <
		 strstr(t_err, "retention: deleted 20000101T000000Z-0001.vclip.part"));
	T_EQ(file_size(kept), -1);
	T_ASSERT(same_file(other, foreign, sizeof(foreign) - 1));
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", dir);
	t_slurp(audit, t_out, sizeof(t_out));
	T_STRSTR(t_out, "\"action\":\"delete\",\"clip\":\"20000101T000000Z-0001\","
		 "\"client\":\"retention\"");
	/* this run's clip stays: the budget holds it */
	{
		char name[64];

		T_ASSERT(find(dir, ".vclip", name, sizeof(name)) && !strstr(name, ".part"));
	}
	fprintf(stderr, "budget: an unrecoverable .part of %zu bytes evicted by max_bytes\n",
		sizeof(big));
	rm_dir(dir);
}

int main(void)
{
	char *y4m, *pir, src[600];
	int ret = t_vigild_init();

	(void)t_count;
	if (ret)
		return ret;
	snprintf(clip_tool, sizeof(clip_tool), "%s/vigil-clip", t_tooldir());
	t_render(&y4m, &pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);
	test_recover(src, false);
	test_recover(src, true);
	test_budget(src);
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
