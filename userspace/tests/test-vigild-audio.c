// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sound alerts end to end through vigild's real capture code: alsa-lib's
 * `file` PCM plugin (slave "null", `infile` a fixture from
 * tests/audio-fixtures.sh) defined in an ~/.asoundrc of a scratch HOME,
 * named by [audio] device. The events must be the same JSON lines as video
 * events; video must go on with audio off, with a device that does not
 * exist (clear message, retried) and beside a working one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t-vigild.h"

static char home[] = "/tmp/vigil-audio-e2e-XXXXXX";

static int run(const char *device)
{
	char video[600], dev[300];
	const char *args[] = {
		"--source", video, "--size", "64x48", "--format", "GREY",
		"--fps", "10", "--loop", "--policy", "video-only",
		"--events", "-", "--stats", "--set", dev, NULL,
	};

	snprintf(video, sizeof(video), "replay:%s/v.raw", home);
	snprintf(dev, sizeof(dev), "audio.device=%s", device);
	return t_vigild(args, false, 1500);
}

int main(void)
{
	char cmd[1024], path[600];
	static const char *const fix[] = { "t3-3100", "glass", "t4", "speech" };
	FILE *fp;
	int st, ret = t_vigild_init();

	(void)t_render;		/* t-vigild.h's, for the video tests */
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
	fclose(fp);
	setenv("HOME", home, 1);
	unsetenv("ALSA_CONFIG_PATH");

	/* no device: said at start, video as ever */
	st = run("");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "vigild: audio: off (no [audio] device)");
	T_STRSTR(t_err, "stats: frames 1");

	/* T3 through the file plugin: start, confirmed update, end */
	st = run("t3-3100");
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
	T_STRSTR(t_err, "stats: frames 1");

	st = run("t4");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"co-alarm\""), 1);
	T_EQ(t_count(t_out, "\"kind\":\"smoke-alarm\""), 0);

	st = run("glass");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"glass-break\""), 2);
	T_EQ(t_count(t_out, "\"label\":\"possible glass break\""), 4);
	T_STRSTR(t_out, "\"bands_hit\":4");
	T_STRSTR(t_err, "vigild: audio: possible glass-break (confidence 0.");

	/* speech: nothing */
	st = run("speech");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_out, "\"kind\":"), 0);
	T_STRSTR(t_err, "alerts 0 xruns 0");

	/* a device that is not there: said once, retried, video unaffected */
	st = run("nosuchpcm");
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_err, "vigild: audio: nosuchpcm: cannot open: No such file or "
		     "directory; retrying (video is not affected)"), 1);
	T_EQ(t_count(t_err, "ALSA lib"), 0);
	T_STRSTR(t_err, "stats: frames 1");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", home);
	return t_done();
}
