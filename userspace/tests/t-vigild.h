/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the tests that run vigild end to end: run it with a timeout
 * (and signals), count output, render a scene into a Y4M and a PIR file.
 */
#ifndef VIGIL_T_VIGILD_H
#define VIGIL_T_VIGILD_H

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

static char t_vigild_path[512];
static char t_out[1 << 20], t_err[1 << 18];

static void t_block_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		_exit(99);
	}
}

/*
 * Read @path into @buf. Output that does not fit is a test failure, never
 * a silent cut: a check for a line near the end would fail for the wrong
 * reason (test-record's stats line did, when ENOSPC made more clips).
 */
static void t_slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, len - 1, fp) : 0;

	buf[n] = '\0';
	if (fp && n == len - 1 && fgetc(fp) != EOF) {
		fprintf(stderr, "%s: more than %zu bytes of output: enlarge the buffer\n",
			path, len - 1);
		t_failures++;
	}
	if (fp)
		fclose(fp);
}

/*
 * Run vigild with @argv (NULL-terminated, without argv[0]). Kill it with
 * SIGTERM @term_ms after it blocked its signals, if non-zero. Returns the
 * wait status; output in t_out / t_err.
 */
/* Optional: stdout of the next run (else a file read into t_out). */
static int t_stdout_fd = -1;
/*
 * Optional: SIGTERM only once stdout holds @t_term_count copies of
 * @t_term_on (and @term_ms after that), 20 s at most: a run that must
 * reach a point (a second pass of a looped replay) waits for it, not for a
 * time that load or ASan can make too short.
 */
static const char *t_term_on;
static int t_term_count;
/* Optional: after @t_hup_ms, call t_hup_hook() then send SIGHUP. */
static int t_hup_ms;
static void (*t_hup_hook)(void);

static int t_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * Wait until @pid blocks SIGTERM (vigild's signalfd: from then on the
 * signal stops it cleanly; before, it kills it) or exits; 20 s at most.
 * Without this a signal after a fixed time raced a start-up slowed by
 * load or ASan (a vigild "Terminated" with no output).
 */
static void t_wait_signals_blocked(pid_t pid)
{
	char path[64], line[128];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int i = 0; i < 2000; i++) {
		const struct timespec ts = { 0, 10000000 };
		FILE *f = fopen(path, "re");
		unsigned long long blk = 0;
		bool zombie = false;

		if (!f)
			return;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "State:", 6))
				zombie = strchr(line, 'Z') != NULL;
			sscanf(line, "SigBlk: %llx", &blk);
		}
		fclose(f);
		if (zombie || (blk & (1ULL << (SIGTERM - 1))))
			return;
		nanosleep(&ts, NULL);
	}
}

static int t_vigild(const char *const *args, bool seccomp, int term_ms)
{
	const char *argv[32] = { t_vigild_path };
	char out[] = "/tmp/vigil-out-XXXXXX", err[] = "/tmp/vigil-err-XXXXXX";
	const int fo = mkstemp(out), fe = mkstemp(err);
	int status = -1, waited = 0;
	bool reaped = false;
	pid_t pid;

	for (int i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid == 0) {
		dup2(t_stdout_fd >= 0 ? t_stdout_fd : fo, 1);
		dup2(fe, 2);
		if (seccomp)
			t_block_io_uring();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* the times below count from when vigild handles its signals */
	if (t_hup_ms || term_ms)
		t_wait_signals_blocked(pid);
	if (t_hup_ms) {
		struct timespec ts = { t_hup_ms / 1000, (t_hup_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		if (t_hup_hook)
			t_hup_hook();
		kill(pid, SIGHUP);
		term_ms = term_ms > t_hup_ms ? term_ms - t_hup_ms : 1;
	}
	if (term_ms) {
		struct timespec ts = { term_ms / 1000, (term_ms % 1000) * 1000000L };

		for (int i = 0; t_term_on && i < 2000; i++) {
			const struct timespec tick = { 0, 10000000 };

			t_slurp(out, t_out, sizeof(t_out));
			if (t_count(t_out, t_term_on) >= t_term_count)
				break;
			if (waitpid(pid, &status, WNOHANG) == pid) {
				reaped = true;
				break;
			}
			nanosleep(&tick, NULL);
		}
		nanosleep(&ts, NULL);
		if (!reaped)
			kill(pid, SIGTERM);
	}
	/* never hang: 20 s at most */
	while (!reaped && waitpid(pid, &status, WNOHANG) == 0) {
		struct timespec ts = { 0, 10000000 };

		if (++waited > 2000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "vigild hung\n");
			t_failures++;
			break;
		}
		nanosleep(&ts, NULL);
	}
	t_slurp(out, t_out, sizeof(t_out));
	t_slurp(err, t_err, sizeof(t_err));
	close(fo);
	close(fe);
	unlink(out);
	unlink(err);
	return status;
}


/* Render a scene file into a Y4M; returns the Y4M and PIR paths. */
/* Render the scenario file @spath (320x240, 15 fps) to a Y4M and a PIR file. */
static void t_render_file(const char *spath, char **y4m, char **pir)
{
	const struct vigil_y4m_info info = { 320, 240, 15, 1, VIGIL_FMT_GREY, 0 };
	struct vigil_pir_event *ev;
	struct vigil_scene s;
	static uint8_t frame[320 * 240];
	char err[256], hdr[128], line[64];
	size_t len, pos;
	char *buf;
	int n;

	if (vigil_scene_load(&s, spath, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	n = vigil_y4m_format_header(hdr, sizeof(hdr), &info);
	len = (size_t)n + s.frames * (6 + sizeof(frame));
	buf = malloc(len);
	memcpy(buf, hdr, (size_t)n);
	pos = (size_t)n;
	for (unsigned int i = 0; i < s.frames; i++) {
		vigil_scene_render(&s, i, frame);
		memcpy(buf + pos, "FRAME\n", 6);
		memcpy(buf + pos + 6, frame, sizeof(frame));
		pos += 6 + sizeof(frame);
	}
	*y4m = t_tmpfile(buf, len);
	free(buf);
	/* the count first (it may be more than fits), then every edge */
	n = vigil_scene_pir(&s, NULL, 0);
	ev = calloc((size_t)n + 1, sizeof(*ev));
	buf = calloc((size_t)n + 1, sizeof(line));
	if (!ev || !buf) {
		fprintf(stderr, "t_render_file: out of memory\n");
		exit(1);
	}
	n = vigil_scene_pir(&s, ev, (unsigned int)n);
	pos = 0;
	for (int i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(line), "%.6f %d\n",
					ev[i].ts_ns / 1e9, ev[i].level);
	*pir = t_tmpfile(buf, pos);
	free(buf);
	free(ev);
}

/* A person walks through frames 20-45 of 60, warm. */
static void t_render(char **y4m, char **pir)
{
	static const char scene[] =
		"[scene]\nframes = 60\nseed = 3\nnoise = 3\n"
		"[item p]\nkind = person\nstart = 20\nend = 45\nfrom_x = -10\n"
		"to_x = 300\ny = 70\nw = 36\nh = 110\ncontrast = -45\nwarm = yes\n"
		"alarm = yes\n";
	char *spath = t_tmpfile(scene, sizeof(scene) - 1);

	t_render_file(spath, y4m, pir);
	t_rmfile(spath);
}

/* Find vigild in the build directory: 0, or T_SKIP. */
static int t_vigild_init(void)
{
	if (!t_builddir())
		return T_SKIP;
	snprintf(t_vigild_path, sizeof(t_vigild_path), "%s/vigild", t_builddir());
	return access(t_vigild_path, X_OK) ? T_SKIP : 0;
}

#endif
