// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sound alerts end to end through vigild's real capture code: alsa-lib's
 * `file` PCM plugin (slave "null", `infile` a fixture from
 * tests/audio-fixtures.sh) defined in an ~/.asoundrc of a scratch HOME,
 * named by [audio] device. The events must be the same JSON lines as video
 * events; video must go on with audio off, with a device that does not
 * exist (clear message, retried) and beside a working one.
 *
 * Audio in clips (issue #15, clip format v2): a PIR alarm opens a sealed
 * clip; only then does the capture device's input appear (vigild retries
 * the device it could not open): the clip's audio blocks, decrypted with
 * the owner's key, are the input samples from the first one on, in order,
 * and the input is found in clear in no file of the clip directory. The
 * file plugin on the null PCM is not paced: it delivers as fast as vigild
 * reads, and past the end of its infile repeats stale buffers, so the
 * comparison covers the input, not what follows it.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "t-vigild.h"

static char home[] = "/tmp/vigil-audio-e2e-XXXXXX";

/* Wait up to @ms for @cond (polled every 20 ms). */
#define WAIT_FOR(cond, ms)						\
	for (int w_ = 0; !(cond) && w_ < (ms) / 20; w_++)		\
		usleep(20000)

/*
 * The looped video: 10 frames; a run lasts at least one pass of it. At
 * 20 fps: --trace is written in stdio blocks (about 17 lines), so the
 * sooner its frames come, the sooner a run can end.
 */
#define VIDEO_FRAMES 10

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int c, n = 0;

	while (fp && (c = fgetc(fp)) != EOF)
		n += c == '\n';
	if (fp)
		fclose(fp);
	return n;
}

static int count_in(const char *path, const char *needle)
{
	static char buf[1 << 20];

	t_slurp(path, buf, sizeof(buf));
	return t_count(buf, needle);
}

/*
 * Has process @pid read the file @path to its end? alsa-lib's file plugin
 * reads its infile in snd_pcm_readi(), as many frames as it returns, so the
 * offset of vigild's descriptor for it (/proc/PID/fdinfo) is what the
 * detectors have been given.
 */
static bool read_to_end(pid_t pid, const char *path)
{
	char dir[64], p[PATH_MAX], link[PATH_MAX], line[128];
	bool done = false;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (stat(path, &st))
		return false;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && !done && (e = readdir(d))) {
		ssize_t n;
		FILE *fp;

		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, path))
			continue;
		snprintf(p, sizeof(p), "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
		fp = fopen(p, "r");
		while (fp && fgets(line, sizeof(line), fp))
			if (!strncmp(line, "pos:", 4))
				done = strtoll(line + 4, NULL, 10) >= (long long)st.st_size;
		if (fp)
			fclose(fp);
	}
	if (d)
		closedir(d);
	return done;
}

/*
 * Run vigild with [audio] device @device until what is checked has
 * happened, then stop it (SIGTERM): the video has passed VIDEO_FRAMES
 * frames (its --trace lines), the device's input @infile (if any) has been
 * read to its end, and stdout has @needle (if any) @count times. Conditions,
 * not a fixed time: on a loaded machine (ASan, other jobs) vigild started
 * late and a run of 1.5 s saw 2 frames and 0.5 s of a 10 s fixture. The
 * 60 s bound only stops a hang. @set: one more --set, or NULL. Returns the
 * wait status; output in t_out, t_err.
 */
static int run_until(const char *device, const char *infile, const char *needle,
		     int count, const char *set)
{
	char video[600], dev[300], trace[600], out[600], errf[600];
	const char *argv[] = {
		t_vigild_path, "--source", video, "--size", "64x48", "--format", "GREY",
		"--fps", "20", "--loop", "--policy", "video-only", "--events", "-",
		"--stats", "--set", dev, "--trace", trace, set ? "--set" : NULL, set, NULL,
	};
	int status = -1;
	pid_t pid;

	snprintf(video, sizeof(video), "replay:%s/v.raw", home);
	snprintf(dev, sizeof(dev), "audio.device=%s", device);
	snprintf(trace, sizeof(trace), "%s/run.trace", home);
	snprintf(out, sizeof(out), "%s/run.out", home);
	snprintf(errf, sizeof(errf), "%s/run.err", home);
	unlink(trace);
	pid = fork();
	if (pid == 0) {
		const int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		const int fe = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	WAIT_FOR(count_lines(trace) >= VIDEO_FRAMES &&
		 (!infile || read_to_end(pid, infile)) &&
		 (!needle || count_in(out, needle) >= count), 60000);
	kill(pid, SIGTERM);
	WAIT_FOR(waitpid(pid, &status, WNOHANG) == pid, 20000);
	if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
		fprintf(stderr, "vigild hung\n");
		t_failures++;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	t_slurp(out, t_out, sizeof(t_out));
	t_slurp(errf, t_err, sizeof(t_err));
	return status;
}

static int run(const char *device)
{
	return run_until(device, NULL, NULL, 0, NULL);
}

/* Run on fixture @name (read to its end), until @needle is out @count times. */
static int run_fx(const char *name, const char *needle, int count)
{
	char infile[600];

	const char *p;
	struct stat sb;
	int st;

	snprintf(infile, sizeof(infile), "%s/fx/%s.raw", home, name);
	st = run_until(name, infile, needle, count, NULL);
	/* the detectors had all of it (seconds printed to 0.1) */
	p = strstr(t_err, "audio stats: seconds ");
	T_ASSERT(p && !stat(infile, &sb));
	if (p && strtod(p + 21, NULL) < (double)sb.st_size / 2 / 16000 - 0.1) {
		fprintf(stderr, "%s: %.1f s of audio analysed, short of the fixture's %.2f s\n",
			name, strtod(p + 21, NULL), (double)sb.st_size / 2 / 16000);
		t_failures++;
	}
	return st;
}

/* The video went on beside the audio: every frame of a pass, at least. */
static void video_went_on(void)
{
	const char *p = strstr(t_err, "stats: frames ");
	const unsigned long n = p ? strtoul(p + 14, NULL, 10) : 0;

	T_ASSERT(p);
	if (n < VIDEO_FRAMES) {
		fprintf(stderr, "stats: frames %lu, expected at least %d\n", n,
			VIDEO_FRAMES);
		t_failures++;
	}
	T_STRSTR(t_err, "frames_dropped 0 ");
}

/* ---- audio in clips (clipmeta) ---- */

#define CLIP_IN 24000		/* input samples: 1.5 s */

static bool dir_has(const char *dir, const char *suffix, char *name, size_t len)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		const size_t n = strlen(e->d_name), k = strlen(suffix);

		if (n > k && !strcmp(e->d_name + n - k, suffix)) {
			snprintf(name, len, "%s/%s", dir, e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[1 << 16];
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static void *map_file(const char *path, size_t *len)
{
	const int fd = open(path, O_RDONLY);
	struct stat st;
	void *p;

	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	*len = (size_t)st.st_size;
	return p == MAP_FAILED ? NULL : p;
}

static void test_audio_in_clip(void)
{
	static int16_t in[CLIP_IN], got[CLIP_IN + VIGIL_CLIP_AUDIO_MAX];
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	char dir[600], pub[600], pirf[600], raw[600], tmp[600], errf[600];
	char clip[900], set_dir[700], set_key[700], src[700], name[900];
	char *y4m, *pir;
	uint64_t seed = 77, prev_ns = 0;
	struct vigil_clip_reader *r;
	struct vigil_clip_audio a;
	size_t n = 0, len = 0;
	const char *err;
	int status = -1;
	uint8_t *map;
	pid_t pid;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/clips", home);
	snprintf(pub, sizeof(pub), "%s/owner.pub", home);
	snprintf(pirf, sizeof(pirf), "%s/alarm.pir", home);
	snprintf(raw, sizeof(raw), "%s/clipin.raw", home);
	snprintf(tmp, sizeof(tmp), "%s/clipin.tmp", home);
	snprintf(errf, sizeof(errf), "%s/clip.err", home);
	T_EQ(mkdir(dir, 0755), 0);
	T_EQ(vigil_clip_keygen(pk, sk), 0);
	fp = fopen(pub, "w");
	fputs("vigil-pub ", fp);
	for (size_t i = 0; i < sizeof(pk); i++)
		fprintf(fp, "%02x", pk[i]);
	fputs("\n", fp);
	fclose(fp);
	/* a PIR alarm from the start: the clip opens at once */
	fp = fopen(pirf, "w");
	fputs("0.0 1\n60.0 0\n", fp);
	fclose(fp);
	for (size_t i = 0; i < CLIP_IN; i++)	/* never 0: null's silence is */
		in[i] = (int16_t)((t_rand(&seed) % 6000 + 1) * (i & 1 ? 1 : -1));
	t_render(&y4m, &pir);
	t_rmfile(pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);
	snprintf(set_dir, sizeof(set_dir), "record.dir=%s", dir);
	snprintf(set_key, sizeof(set_key), "record.owner_key=%s", pub);
	pid = fork();
	if (pid == 0) {
		const char *argv[] = {
			t_vigild_path, "--source", src, "--loop", "--pir-events", pirf,
			"--policy", "pir-only", "--events", "/dev/null", "--stats",
			"--set", "audio.device=clipin", "--set", set_dir, "--set", set_key,
			NULL,
		};
		const int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* the clip is open; then the device's input appears */
	WAIT_FOR(dir_has(dir, ".vclip.part", name, sizeof(name)), 10000);
	T_ASSERT(dir_has(dir, ".vclip.part", name, sizeof(name)));
	fp = fopen(tmp, "w");
	T_EQ(fwrite(in, sizeof(in[0]), CLIP_IN, fp), CLIP_IN);
	fclose(fp);
	T_EQ(rename(tmp, raw), 0);
	/* vigild retries after 1 s, then 2 s */
	WAIT_FOR(file_has(errf, "audio: clipin: capturing"), 10000);
	/* all of it given to the clip (not 300 ms after: too short loaded) */
	WAIT_FOR(read_to_end(pid, raw), 60000);
	kill(pid, SIGTERM);
	WAIT_FOR(waitpid(pid, &status, WNOHANG) == pid, 20000);
	if (!WIFEXITED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	t_slurp(errf, t_err, sizeof(t_err));
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_STRSTR(t_err, "audio: clipin: cannot open");
	T_STRSTR(t_err, "audio: clipin: capturing 16000 Hz mono S16_LE");
	T_STRSTR(t_err, "recording audio_blocks ");
	T_ASSERT(!dir_has(dir, ".vclip.part", name, sizeof(name)));
	T_ASSERT(dir_has(dir, ".vclip", clip, sizeof(clip)));
	/* the input in clear in no file of the clip directory */
	{
		struct dirent *e;
		DIR *d = opendir(dir);

		while (d && (e = readdir(d))) {
			char p[1200];
			size_t fl = 0;
			void *m;

			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			m = e->d_name[0] != '.' ? map_file(p, &fl) : NULL;
			if (m) {
				T_ASSERT(!memmem(m, fl, in + 100, 64));
				munmap(m, fl);
			}
		}
		if (d)
			closedir(d);
	}
	/* decrypted: the blocks in order, the input from the first sample on */
	map = map_file(clip, &len);
	T_ASSERT(map);
	if (!map)
		goto out;
	T_EQ(vigil_clip_reader_new(map, len, pk, sk, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	T_ASSERT(vigil_clip_reader_header(r)->encrypted);
	T_ASSERT(vigil_clip_reader_header(r)->audio);
	T_ASSERT(vigil_clip_reader_status(r)->audio_samples >= CLIP_IN);
	for (unsigned int i = 0; i < vigil_clip_reader_status(r)->audio_blocks &&
	     n < CLIP_IN; i++) {
		T_EQ(vigil_clip_reader_audio(r, i, &a, got + n), 0);
		T_EQ(a.block, i);
		T_EQ(a.rate, 16000);
		T_ASSERT(a.mono_ns >= prev_ns);
		prev_ns = a.mono_ns;
		n += a.nsamples;
	}
	T_ASSERT(n >= CLIP_IN);
	T_ASSERT(!memcmp(got, in, sizeof(in)));
	fprintf(stderr, "audio in a sealed clip: %u blocks, the %d input samples "
		"first, in order\n", vigil_clip_reader_status(r)->audio_blocks, CLIP_IN);
	vigil_clip_reader_free(r);
	munmap(map, len);
out:
	t_rmfile(y4m);
}

int main(void)
{
	char cmd[1024], path[600];
	static const char *const fix[] = { "t3-3100", "glass", "t4", "speech" };
	FILE *fp;
	int st, ret = t_vigild_init();

	(void)t_render;		/* t-vigild.h's, for the video tests */
	(void)t_vigild;
	if (ret)
		return ret;
	if (!mkdtemp(home)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "sh %s/userspace/tests/audio-fixtures.sh %s/fx",
		 t_srcdir(), home);
	if (system(cmd)) {
		fprintf(stderr, "fixtures failed (sox, espeak-ng: scripts/deps)\n");
		return 1;
	}
	/* a tiny raw GREY video, looped */
	snprintf(path, sizeof(path), "%s/v.raw", home);
	fp = fopen(path, "w");
	for (int i = 0; fp && i < 64 * 48 * 10; i++)
		fputc(16, fp);
	if (!fp || fclose(fp))
		return 1;
	snprintf(path, sizeof(path), "%s/.asoundrc", home);
	fp = fopen(path, "w");
	if (!fp)
		return 1;
	for (unsigned int i = 0; i < sizeof(fix) / sizeof(fix[0]); i++)
		fprintf(fp, "pcm.%s {\n\ttype file\n\tslave.pcm \"null\"\n"
			"\tfile \"/dev/null\"\n\tinfile \"%s/fx/%s.raw\"\n"
			"\tformat \"raw\"\n}\n", fix[i], home, fix[i]);
	/* audio in clips: its infile appears once the clip is open */
	fprintf(fp, "pcm.clipin {\n\ttype file\n\tslave.pcm \"null\"\n"
		"\tfile \"/dev/null\"\n\tinfile \"%s/clipin.raw\"\n"
		"\tformat \"raw\"\n}\n", home);
	fclose(fp);
	setenv("HOME", home, 1);
	unsetenv("ALSA_CONFIG_PATH");

	/* recording without an owner key: audio stays out of the clips */
	{
		char rec[700], recdir[600];

		snprintf(recdir, sizeof(recdir), "%s/plain-clips", home);
		snprintf(rec, sizeof(rec), "record.dir=%s", recdir);
		T_EQ(mkdir(recdir, 0755), 0);
		st = run_until("t3-3100", NULL, NULL, 0, rec);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "vigild: recording: audio not recorded: it is stored only "
			 "in sealed clips ([record] owner_key is not set)");
	}

	/* no device: said at start, video as ever */
	st = run("");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "vigild: audio: off (no [audio] device)");
	video_went_on();

	/* T3 through the file plugin: start, confirmed update, end */
	st = run_fx("t3-3100", "{\"event\":\"end\",\"kind\":\"smoke-alarm\"", 1);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "vigild: audio: t3-3100: capturing 16000 Hz mono S16_LE");
	T_STRSTR(t_err, "vigild: audio: smoke-alarm (confidence 0.");
	T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"smoke-alarm\""), 1);
	T_EQ(t_count(t_out, "{\"event\":\"update\",\"kind\":\"smoke-alarm\""), 1);
	T_EQ(t_count(t_out, "{\"event\":\"end\",\"kind\":\"smoke-alarm\""), 1);
	T_EQ(t_count(t_out, "\"confirmed\":true,\"evidence\":{\"cycles\":2,\"freq_hz\":3100"), 2);
	T_EQ(t_count(t_out, "\"kind\":\"glass-break\""), 0);
	T_STRSTR(t_err, "alerts 1 xruns 0 lost 0");
	/* video went on beside it */
	video_went_on();

	st = run_fx("t4", "{\"event\":\"start\",\"kind\":\"co-alarm\"", 1);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"co-alarm\""), 1);
	T_EQ(t_count(t_out, "\"kind\":\"smoke-alarm\""), 0);

	st = run_fx("glass", "\"label\":\"possible glass break\"", 4);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"glass-break\""), 2);
	T_EQ(t_count(t_out, "\"label\":\"possible glass break\""), 4);
	T_STRSTR(t_out, "\"bands_hit\":4");
	T_STRSTR(t_err, "vigild: audio: possible glass-break (confidence 0.");

	/* speech: nothing */
	st = run_fx("speech", NULL, 0);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "\"kind\":"), 0);
	T_STRSTR(t_err, "alerts 0 xruns 0");

	/* a device that is not there: said once, retried, video unaffected */
	st = run("nosuchpcm");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_err, "vigild: audio: nosuchpcm: cannot open: No such file or "
		     "directory; retrying (video is not affected)"), 1);
	T_EQ(t_count(t_err, "ALSA lib"), 0);
	video_went_on();

	test_audio_in_clip();

	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", home);
	return t_done();
}
