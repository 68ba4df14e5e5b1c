// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Write-buffer back-pressure in the recorder (issue #8), on a disk that
 * stalls (VIGILD_TEST_WRITE_DELAY_MS: every write's completion seen late,
 * as writes stuck behind fsyncs):
 * - replay --fast, eight alarms merged into one clip, an fdatasync after
 *   every frame: the clip holds every source frame and verifies; nothing is
 *   missed, failed or left as .part (before: the write buffers ran out, the
 *   clip writer's sink failed with ENOBUFS and the clip was abandoned as a
 *   .part).
 */
#include <dirent.h>
#include <limits.h>

#include "t-vigild.h"

#define PERSONS 8
#define FRAMES (PERSONS * 60)

static char clip_tool[600];

static unsigned long stat_of(const char *name)
{
	const char *p = strstr(t_err, name);

	return p ? strtoul(p + strlen(name), NULL, 10) : ULONG_MAX;
}

/* Files in @dir ending in @ext; the last one's name in @name. */
static int count(const char *dir, const char *ext, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		const size_t l = strlen(de->d_name), e = strlen(ext);

		if (l > e && !strcmp(de->d_name + l - e, ext)) {
			snprintf(name, len, "%s", de->d_name);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* `vigil-clip verify PATH`: its exit status; the frame count in *@frames. */
static int verify(const char *path, long *frames)
{
	char out[1024];
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	*frames = -1;
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *a[] = { clip_tool, "verify", path, NULL };

		dup2(pfd[1], 1);
		close(pfd[0]);
		execv(a[0], (char *const *)a);
		_exit(127);
	}
	close(pfd[1]);
	n = read(pfd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (strstr(out, "OK, "))
		*frames = strtol(strstr(out, "OK, ") + 4, NULL, 10);
	fprintf(stderr, "%s", out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "%s failed\n", cmd);
}

/* 1: --fast on a stalling disk: back-pressure, no frame lost. */
static void test_fast(const char *src)
{
	char dir[] = "/tmp/vigil-bp-XXXXXX", set[300], name[64], path[400];
	long frames;
	int st;

	T_ASSERT(mkdtemp(dir));
	snprintf(set, sizeof(set), "record.dir=%s", dir);
	setenv("VIGILD_TEST_WRITE_DELAY_MS", "300", 1);
	{
		/* pre-roll from the first frame, every alarm merged into one clip */
		const char *args[] = { "--source", src, "--fast", "--policy", "video-only",
				       "--events", "/dev/null", "--stats", "--set", set,
				       "--set", "record.sync_frames=1", "--set", "record.keyint=5",
				       "--set", "record.max_clip_s=60", "--set", "record.merge_gap_s=10",
				       "--set", "record.postroll_s=0.3", "--set", "fusion.gap_ms=500",
				       NULL };

		st = t_vigild(args, false, 0);
	}
	unsetenv("VIGILD_TEST_WRITE_DELAY_MS");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (strstr(t_err, "No buffer space"))
		fprintf(stderr, "%s", t_err);
	T_ASSERT(!strstr(t_err, "No buffer space"));
	T_ASSERT(!strstr(t_err, "not closed"));
	T_EQ(stat_of(" failed "), 0);
	T_EQ(stat_of(" missed "), 0);
	T_EQ(stat_of(" rec_dropped "), 0);
	T_EQ(count(dir, ".part", name, sizeof(name)), 0);
	T_EQ(count(dir, ".vclip", name, sizeof(name)), 1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	T_EQ(verify(path, &frames), 0);
	T_EQ(frames, FRAMES);
	T_EQ(stat_of(" recorded_frames "), FRAMES);
	fprintf(stderr, "fast, writes completing 300 ms late: %ld of %d frames in one clip "
		"(%lu alarms), peak write buffers %lu\n", frames, FRAMES,
		stat_of("stats: frames ") ? stat_of(" events ") : 0,
		stat_of(" write_buffers_peak "));
	rm_dir(dir);
}

int main(void)
{
	char scene[4096], *spath, *y4m, *pir, src[600];
	size_t n;
	int ret = t_vigild_init();

	(void)t_count;
	(void)t_render;
	if (ret)
		return ret;
	snprintf(clip_tool, sizeof(clip_tool), "%s/vigil-clip", t_tooldir());
	/*
	 * eight people cross one after the other, 4 s apart; not warm (no
	 * PIR edges: t_render_file() keeps at most eight)
	 */
	n = (size_t)snprintf(scene, sizeof(scene), "[scene]\nframes = %d\nseed = 3\nnoise = 3\n",
			     FRAMES);
	for (int i = 0; i < PERSONS; i++)
		n += (size_t)snprintf(scene + n, sizeof(scene) - n,
				      "[item p%d]\nkind = person\nstart = %d\nend = %d\n"
				      "from_x = -10\nto_x = 300\ny = 70\nw = 36\nh = 110\n"
				      "contrast = -45\nwarm = no\nalarm = yes\n",
				      i, i * 60 + 20, i * 60 + 45);
	spath = t_tmpfile(scene, n);
	t_render_file(spath, &y4m, &pir);
	t_rmfile(spath);
	t_rmfile(pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);
	test_fast(src);
	t_rmfile(y4m);
	return t_done();
}
