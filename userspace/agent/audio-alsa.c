// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sound capture for the sound alerts: an ALSA PCM (alsa-lib) at 16 kHz
 * mono S16, opened non-blocking; its poll descriptors are polled on
 * vigild's io_uring (owner AUDIO_ID), and every wakeup reads what is
 * there. An xrun is recovered and counted (the detectors are told of the
 * gap); a device that goes away is closed and opened again with backoff
 * (1 s doubling to 30 s). Nothing here can stop vigild: video goes on
 * whatever the audio does.
 *
 * The samples go to the caller's callback and nowhere else: vigild gives
 * them to the detectors and, while a clip is recording, to that clip
 * (sealed when the clip is; recorder_audio()). Nothing else writes them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <alsa/asoundlib.h>

#include "audio-alsa.h"

#define RATE AUDIO_IN_RATE
#define MAX_FDS 4
#define READ_FRAMES 1024
#define DRAIN_FRAMES 4096		/* per wakeup: 256 ms */
#define TAG_RETRY 0xff
#define BACKOFF_MAX_MS 30000

struct audio_in {
	char device[VIGIL_PATH_MAX];
	struct loop *loop;
	unsigned int owner;
	struct audio_cb cb;

	snd_pcm_t *pcm;
	struct pollfd pfd[MAX_FDS];
	unsigned int nfds;
	unsigned int gen;		/* poll generation, in the tags */
	bool armed;

	uint64_t anchor_ns;		/* time of the first sample since start */
	uint64_t frames;		/* frames since the anchor */
	bool anchored;

	unsigned int backoff_ms;
	bool retrying;
	struct __kernel_timespec retry_ts;
	char last_err[320];		/* the last failure, said once */

	int16_t buf[READ_FRAMES];
	struct audio_stats st;
};

static uint32_t tag_of(const struct audio_in *a, unsigned int i)
{
	return ((a->gen & 0xffffff) << 8) | (i + 1);
}

/* hw and sw parameters: 16 kHz mono S16, or say what the device offers. */
static int configure(struct audio_in *a, char *err, size_t errlen)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	/* 20 ms periods; 2 s of buffer ride out a stalled loop (64 KiB) */
	snd_pcm_uframes_t period = RATE / 50, buffer = 2 * RATE;
	unsigned int rate = RATE;
	int ret;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	ret = snd_pcm_hw_params_any(a->pcm, hw);
	if (ret < 0) {
		snprintf(err, errlen, "no parameters: %s", snd_strerror(ret));
		return ret;
	}
	ret = snd_pcm_hw_params_set_access(a->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED);
	if (ret < 0) {
		snprintf(err, errlen, "no interleaved read access: %s", snd_strerror(ret));
		return -ENOTSUP;
	}
	if (snd_pcm_hw_params_set_format(a->pcm, hw, SND_PCM_FORMAT_S16) < 0 ||
	    snd_pcm_hw_params_set_channels(a->pcm, hw, 1) < 0 ||
	    snd_pcm_hw_params_set_rate(a->pcm, hw, rate, 0) < 0) {
		unsigned int cmin = 0, cmax = 0, rmin = 0, rmax = 0;
		char fmts[160] = "";
		size_t pos = 0;

		snd_pcm_hw_params_any(a->pcm, hw);
		for (int f = 0; f <= SND_PCM_FORMAT_LAST && pos < sizeof(fmts) - 24; f++)
			if (snd_pcm_hw_params_test_format(a->pcm, hw, (snd_pcm_format_t)f) == 0)
				pos += (size_t)snprintf(fmts + pos, sizeof(fmts) - pos, "%s%s",
							pos ? "," : "",
							snd_pcm_format_name((snd_pcm_format_t)f));
		snd_pcm_hw_params_get_channels_min(hw, &cmin);
		snd_pcm_hw_params_get_channels_max(hw, &cmax);
		snd_pcm_hw_params_get_rate_min(hw, &rmin, NULL);
		snd_pcm_hw_params_get_rate_max(hw, &rmax, NULL);
		snprintf(err, errlen,
			 "cannot capture 16000 Hz mono S16_LE: the device offers %s, "
			 "%u-%u channels, %u-%u Hz; use a converting PCM such as "
			 "plughw:CARD or \"plug:...\"", fmts, cmin, cmax, rmin, rmax);
		return -ENOTSUP;
	}
	snd_pcm_hw_params_set_period_size_near(a->pcm, hw, &period, NULL);
	snd_pcm_hw_params_set_buffer_size_near(a->pcm, hw, &buffer);
	ret = snd_pcm_hw_params(a->pcm, hw);
	if (ret < 0) {
		snprintf(err, errlen, "hw parameters: %s", snd_strerror(ret));
		return ret;
	}
	snd_pcm_sw_params_current(a->pcm, sw);
	snd_pcm_sw_params_set_avail_min(a->pcm, sw, period);
	snd_pcm_sw_params_set_start_threshold(a->pcm, sw, 1);
	ret = snd_pcm_sw_params(a->pcm, sw);
	if (ret < 0) {
		snprintf(err, errlen, "sw parameters: %s", snd_strerror(ret));
		return ret;
	}
	return 0;
}

static void close_pcm(struct audio_in *a)
{
	if (a->armed) {
		for (unsigned int i = 0; i < a->nfds; i++)
			loop_poll_remove(a->loop, LOOP_TAG(a->owner, tag_of(a, i)));
		a->armed = false;
	}
	a->gen++;
	if (a->pcm)
		snd_pcm_close(a->pcm);
	a->pcm = NULL;
	a->nfds = 0;
}

static int open_pcm(struct audio_in *a, char *err, size_t errlen)
{
	int ret, n;

	ret = snd_pcm_open(&a->pcm, a->device, SND_PCM_STREAM_CAPTURE,
			   SND_PCM_NONBLOCK);
	if (ret < 0) {
		a->pcm = NULL;
		snprintf(err, errlen, "cannot open: %s", snd_strerror(ret));
		return ret;
	}
	ret = configure(a, err, errlen);
	if (ret)
		goto fail;
	n = snd_pcm_poll_descriptors_count(a->pcm);
	if (n <= 0 || n > MAX_FDS) {
		snprintf(err, errlen, "%d poll descriptors (1..%d expected)", n, MAX_FDS);
		ret = -EINVAL;
		goto fail;
	}
	ret = snd_pcm_poll_descriptors(a->pcm, a->pfd, (unsigned int)n);
	if (ret != n) {
		snprintf(err, errlen, "poll descriptors: %s", snd_strerror(ret < 0 ? ret : -EIO));
		ret = -EIO;
		goto fail;
	}
	a->nfds = (unsigned int)n;
	ret = snd_pcm_prepare(a->pcm);
	if (!ret)
		ret = snd_pcm_start(a->pcm);
	if (ret < 0) {
		snprintf(err, errlen, "start: %s", snd_strerror(ret));
		goto fail;
	}
	a->anchored = false;
	return 0;
fail:
	snd_pcm_close(a->pcm);
	a->pcm = NULL;
	a->nfds = 0;
	return ret;
}

static int arm(struct audio_in *a)
{
	for (unsigned int i = 0; i < a->nfds; i++) {
		const int ret = loop_poll_multishot(a->loop, a->pfd[i].fd,
						    (unsigned int)a->pfd[i].events,
						    LOOP_TAG(a->owner, tag_of(a, i)));

		if (ret)
			return ret;
	}
	a->armed = true;
	return 0;
}

static void schedule_retry(struct audio_in *a)
{
	a->retrying = true;
	loop_timeout_abs(a->loop, mono_ns() + a->backoff_ms * 1000000ULL,
			 &a->retry_ts, LOOP_TAG(a->owner, TAG_RETRY));
}

/* Open and arm, or say why (once per distinct reason) and retry later. */
static void try_open(struct audio_in *a)
{
	char err[320];
	int ret = open_pcm(a, err, sizeof(err));

	if (!ret)
		ret = arm(a);
	if (!ret) {
		fprintf(stderr, "vigild: audio: %s: capturing 16000 Hz mono S16_LE%s\n",
			a->device, a->st.reopens ? " again" : "");
		a->last_err[0] = '\0';
		a->backoff_ms = 1000;
		a->st.reopens++;
		return;
	}
	close_pcm(a);
	if (strcmp(err, a->last_err)) {
		fprintf(stderr, "vigild: audio: %s: %s; retrying (video is not affected)\n",
			a->device, err);
		snprintf(a->last_err, sizeof(a->last_err), "%s", err);
	}
	schedule_retry(a);
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			a->backoff_ms * 2;
}

static void lost(struct audio_in *a, int err)
{
	fprintf(stderr, "vigild: audio: %s: device lost (%s); retrying in %u ms "
		"(video is not affected)\n", a->device, snd_strerror(err), a->backoff_ms);
	a->st.losses++;
	close_pcm(a);
	if (a->cb.gap)
		a->cb.gap(a->cb.arg, mono_ns(), true);
	snprintf(a->last_err, sizeof(a->last_err), "device lost");
	schedule_retry(a);
}

/*
 * Read what is there, up to DRAIN_FRAMES (the loop must get its turn even
 * from a PCM that is always ready, like a file-fed one; a real device's
 * next period wakes us for the rest). 0, or a negative error: device lost.
 */
static int drain(struct audio_in *a)
{
	for (unsigned int got = 0; got < DRAIN_FRAMES;) {
		snd_pcm_sframes_t n = snd_pcm_readi(a->pcm, a->buf, READ_FRAMES);

		if (n == -EAGAIN || n == 0)
			return 0;
		if (n == -EPIPE || n == -ESTRPIPE) {
			/* overrun (or suspend): recover, tell the detectors */
			a->st.xruns++;
			if (a->st.xruns == 1 || !(a->st.xruns & (a->st.xruns - 1)))
				fprintf(stderr, "vigild: audio: %s: overrun (%lu so far), "
					"recovered\n", a->device, a->st.xruns);
			if (snd_pcm_recover(a->pcm, (int)n, 1) < 0 ||
			    snd_pcm_start(a->pcm) < 0)
				return (int)n;
			a->anchored = false;
			if (a->cb.gap)
				a->cb.gap(a->cb.arg, mono_ns(), false);
			continue;
		}
		if (n < 0)
			return (int)n;
		if (!a->anchored) {
			/* the first sample of this block was taken n frames ago */
			a->anchor_ns = mono_ns() - (uint64_t)n * 1000000000ULL / RATE;
			a->frames = 0;
			a->anchored = true;
		}
		a->cb.samples(a->cb.arg, a->buf, (size_t)n,
			      a->anchor_ns + a->frames * 1000000000ULL / RATE);
		a->frames += (uint64_t)n;
		a->st.frames += (uint64_t)n;
		got += (unsigned int)n;
	}
	return 0;
}

int audio_in_ready(struct audio_in *a, unsigned int tag,
		   const struct io_uring_cqe *cqe)
{
	unsigned short revents = 0;
	unsigned int i;
	int ret;

	if (tag == TAG_RETRY) {
		a->retrying = false;
		if (!a->pcm)
			try_open(a);
		return 0;
	}
	/* a poll of a PCM closed since, or the removal's echo */
	if ((tag >> 8) != (a->gen & 0xffffff) || !a->pcm)
		return 0;
	i = (tag & 0xff) - 1;
	if (i >= a->nfds)
		return 0;
	if (cqe->res < 0) {
		lost(a, cqe->res);
		return 0;
	}
	for (unsigned int k = 0; k < a->nfds; k++)
		a->pfd[k].revents = k == i ? (short)cqe->res : 0;
	ret = snd_pcm_poll_descriptors_revents(a->pcm, a->pfd, a->nfds, &revents);
	if (ret < 0) {
		lost(a, ret);
		return 0;
	}
	if (revents & (POLLERR | POLLNVAL | POLLHUP)) {
		const snd_pcm_state_t st = snd_pcm_state(a->pcm);

		if (st == SND_PCM_STATE_DISCONNECTED || (revents & (POLLNVAL | POLLHUP))) {
			lost(a, -ENODEV);
			return 0;
		}
	}
	ret = drain(a);
	if (ret < 0) {
		lost(a, ret);
		return 0;
	}
	/* a one-shot completion (the kernel ended the multishot): re-arm */
	if (!(cqe->flags & IORING_CQE_F_MORE) && a->pcm)
		loop_poll_multishot(a->loop, a->pfd[i].fd, (unsigned int)a->pfd[i].events,
				    LOOP_TAG(a->owner, tag_of(a, i)));
	return 0;
}

/* alsa-lib's own messages repeat ours at every retry: ours name the device */
static void quiet(const char *file, int line, const char *func, int err,
		  const char *fmt, ...)
{
}

int audio_in_new(struct audio_in **out, const char *device, struct loop *loop,
		 unsigned int owner, const struct audio_cb *cb)
{
	struct audio_in *a = calloc(1, sizeof(*a));

	snd_lib_error_set_handler(quiet);

	*out = NULL;
	if (!a)
		return -ENOMEM;
	snprintf(a->device, sizeof(a->device), "%s", device);
	a->loop = loop;
	a->owner = owner;
	a->cb = *cb;
	a->backoff_ms = 1000;
	*out = a;
	return 0;
}

void audio_in_start(struct audio_in *a)
{
	try_open(a);
}

void audio_in_stop(struct audio_in *a)
{
	if (a)
		close_pcm(a);
}

void audio_in_free(struct audio_in *a)
{
	if (!a)
		return;
	if (a->pcm)
		snd_pcm_close(a->pcm);
	free(a);
}

const struct audio_stats *audio_in_stats(const struct audio_in *a)
{
	return &a->st;
}
