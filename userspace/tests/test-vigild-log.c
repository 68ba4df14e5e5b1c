// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's event log: a write that fails (full disk, a reader that went
 * away) is reported and vigild exits 1; SIGHUP reopens the log (logrotate)
 * and vigild goes on.
 */
#include "t-vigild.h"

static char t_log_path[64], t_rotated[80];

/*
 * Rotate once vigild has opened its log (it blocks SIGHUP before that, so a
 * SIGHUP sent earlier, on a slow machine, would kill it).
 */
static void t_rotate(void)
{
	for (int i = 0; i < 500 && access(t_log_path, F_OK); i++) {
		const struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	if (rename(t_log_path, t_rotated))
		perror("rename");
}

int main(void)
{
	char src[600];
	char *y4m, *pir;
	int st;

	if (t_vigild_init())
		return T_SKIP;
	t_render(&y4m, &pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);

	/* full disk: the first event cannot be written */
	{
		const char *args[] = { "--source", src, "--fast", "--policy",
				       "video-only", "--events", "/dev/full", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "writing events to /dev/full: No space left on device");
	}
	/* events on stdout, a pipe nobody reads any more: EPIPE, not SIGPIPE */
	{
		const char *args[] = { "--source", src, "--fast", "--policy",
				       "video-only", "--events", "-", NULL };
		int p[2];

		T_EQ(pipe(p), 0);
		close(p[0]);
		t_stdout_fd = p[1];
		st = t_vigild(args, false, 0);
		t_stdout_fd = -1;
		close(p[1]);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "writing events to -: Broken pipe");
	}
	/* the same run into a file that works: exit 0 (the failures above
	 * come from the log, not from the replay) */
	{
		const char *args[] = { "--source", src, "--fast", "--policy",
				       "video-only", "--events", "/dev/null", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* SIGHUP: the log was moved away (logrotate); vigild opens a new one
	 * and goes on; the person (1.3 s to 3 s, then again from 5.3 s) is in
	 * the new log once */
	{
		const char *args[] = { "--source", src, "--realtime", "--loop",
				       "--policy", "video-only", "--events",
				       t_log_path, NULL };
		char buf[4096];
		FILE *fp;
		size_t n;

		snprintf(t_log_path, sizeof(t_log_path), "/tmp/vigil-log-%d", getpid());
		snprintf(t_rotated, sizeof(t_rotated), "%s.1", t_log_path);
		unlink(t_log_path);
		unlink(t_rotated);
		t_hup_ms = 400;
		t_hup_hook = t_rotate;
		st = t_vigild(args, false, 4000);
		t_hup_ms = 0;
		t_hup_hook = NULL;
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "SIGHUP: event log reopened");
		T_STRSTR(t_err, "Terminated, stopping");
		T_EQ(access(t_rotated, F_OK), 0);
		fp = fopen(t_log_path, "r");
		T_ASSERT(fp);
		n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
		buf[n] = '\0';
		if (fp)
			fclose(fp);
		T_EQ(t_count(buf, "\"event\":\"start\""), 1);
		T_EQ(t_count(buf, "\"event\":\"end\""), 1);
		unlink(t_log_path);
		unlink(t_rotated);
	}
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
