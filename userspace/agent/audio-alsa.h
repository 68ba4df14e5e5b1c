/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sound capture for the sound alerts ([audio] device): an ALSA PCM at
 * 16 kHz mono S16 polled on vigild's io_uring. See audio-alsa.c.
 */
#ifndef VIGILD_AUDIO_ALSA_H
#define VIGILD_AUDIO_ALSA_H

#include "vigild.h"

#define AUDIO_IN_RATE 16000	/* Hz, mono S16 */

struct audio_cb {
	/*
	 * @n samples (16 kHz mono S16), the first taken at @ts_ns
	 * (CLOCK_MONOTONIC); valid during the call only. vigild gives them to
	 * the detectors and to a recording clip (recorder_audio()). Nothing
	 * else may keep them.
	 */
	void (*samples)(void *arg, const int16_t *pcm, size_t n, uint64_t ts_ns);
	/* The stream has a gap at @now_ns: an overrun, or the device is @lost. */
	void (*gap)(void *arg, uint64_t now_ns, bool lost);
	void *arg;
};

struct audio_stats {
	uint64_t frames;		/* samples captured */
	unsigned long xruns;		/* overruns recovered */
	unsigned long losses;		/* device lost (then reopened) */
	unsigned long reopens;		/* successful opens */
};

struct audio_in;

int audio_in_new(struct audio_in **out, const char *device, struct loop *loop,
		 unsigned int owner, const struct audio_cb *cb);
/* Open the PCM and arm its polls, or say why not and retry with backoff. */
void audio_in_start(struct audio_in *a);
/* A completion of owner @owner's tag @tag. Always 0: audio never stops vigild. */
int audio_in_ready(struct audio_in *a, unsigned int tag,
		   const struct io_uring_cqe *cqe);
void audio_in_stop(struct audio_in *a);
void audio_in_free(struct audio_in *a);
const struct audio_stats *audio_in_stats(const struct audio_in *a);

#endif
