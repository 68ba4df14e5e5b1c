// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A PIR-only source: the GPIO line of [pir] (agent/pir-gpio.c), its fd
 * polled with a multishot poll on vigild's ring; each completion reads
 * every pending edge and hands it to fusion with the kernel's
 * CLOCK_MONOTONIC edge time.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pir-gpio.h"
#include "vigild.h"

enum { PIR_TAG_EDGE = 1 };

struct gpio_source {
	struct pir_gpio *pir;
	bool armed;
};

static int gsrc_open(struct source *s, const char *arg, char *err,
		     size_t errlen)
{
	struct gpio_source *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return -ENOMEM;
	s->priv = g;
	ret = pir_gpio_open(s->cfg->pir_chip, s->cfg->pir_line, "vigild", &g->pir,
			    err, errlen);
	if (ret)
		return ret;
	fprintf(stderr, "vigild: PIR: %s (libgpiod %d API)\n", pir_gpio_name(g->pir),
		pir_gpio_api());
	s->has_pir = true;
	s->live = true;
	return 0;
}

static int gsrc_start(struct source *s)
{
	struct gpio_source *g = s->priv;
	const int level = pir_gpio_level(g->pir);
	int ret;

	/* a body already in view: fusion starts from the line's level */
	if (level > 0) {
		const struct vigil_pir_event e = { .ts_ns = mono_ns(), .level = 1 };

		s->cb.pir(s->cb.arg, &e);
	}
	ret = loop_poll_multishot(s->loop, pir_gpio_fd(g->pir), POLLIN,
				  LOOP_TAG(s->id, PIR_TAG_EDGE));
	g->armed = !ret;
	return ret;
}

static int gsrc_ready(struct source *s, unsigned int tag,
		      const struct io_uring_cqe *cqe)
{
	struct gpio_source *g = s->priv;
	struct vigil_pir_event ev[16];
	unsigned int n;
	int ret;

	if (tag != PIR_TAG_EDGE)
		return 0;
	if (cqe->res < 0) {
		fprintf(stderr, "vigild: PIR %s: poll: %s\n", pir_gpio_name(g->pir),
			strerror(-cqe->res));
		return cqe->res;
	}
	if (cqe->res & (POLLERR | POLLHUP)) {
		fprintf(stderr, "vigild: PIR %s: the line went away\n", pir_gpio_name(g->pir));
		return -ENODEV;
	}
	do {
		ret = pir_gpio_read(g->pir, ev, 16, &n);
		if (ret) {
			fprintf(stderr, "vigild: PIR %s: reading edges: %s\n",
				pir_gpio_name(g->pir), strerror(-ret));
			return ret;
		}
		for (unsigned int i = 0; i < n; i++)
			s->cb.pir(s->cb.arg, &ev[i]);
	} while (n == 16);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		ret = loop_poll_multishot(s->loop, pir_gpio_fd(g->pir), POLLIN,
					  LOOP_TAG(s->id, PIR_TAG_EDGE));
		g->armed = !ret;
		return ret;
	}
	return 0;
}

static void gsrc_stop(struct source *s)
{
	struct gpio_source *g = s->priv;

	if (g && g->armed) {
		loop_poll_remove(s->loop, LOOP_TAG(s->id, PIR_TAG_EDGE));
		loop_submit_wait(s->loop, 0);
		g->armed = false;
	}
}

static void gsrc_close(struct source *s)
{
	struct gpio_source *g = s->priv;

	if (!g)
		return;
	gsrc_stop(s);
	pir_gpio_free(g->pir);
	free(g);
	s->priv = NULL;
}

const struct source_ops source_pir_gpio_ops = {
	.name = "gpio",
	.prefix = "gpio:",
	.open = gsrc_open,
	.start = gsrc_start,
	.ready = gsrc_ready,
	.stop = gsrc_stop,
	.close = gsrc_close,
};
