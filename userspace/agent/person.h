/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild's person check: a worker thread fed with blob crops (issue #16). */
#ifndef VIGILD_PERSON_H
#define VIGILD_PERSON_H

#include "vigild.h"

#define PERSON_OWNER	14	/* LOOP_TAG() owner of the eventfd poll */
#define PERSON_BLOBS	4	/* largest blobs checked per frame */
#define PERSON_FRAMES	6	/* first frames of an event checked */
#define PERSON_HITS	2	/* frames in which one blob is a person */

struct pcheck;

struct pcheck_stats {
	unsigned long events, queued, checked, skipped, person, no_person;
	uint64_t check_ns;		/* worker time in the detector */
};

/* -ENOTSUP (with a message) when libvigil has no person check. */
int pcheck_new(struct pcheck **out, char *err, size_t errlen);
void pcheck_free(struct pcheck *pc);
/* The eventfd to poll: readable when answers are waiting. */
int pcheck_fd(const struct pcheck *pc);
/* After fusion took frame @f (result @r): queue crops of an open event. */
int pcheck_frame(struct pcheck *pc, struct vigil_fusion *fu,
		 const struct vigil_frame *f, const struct vigil_detect_result *r);
/* The eventfd was readable: take the answers, tag the event. */
int pcheck_ready(struct pcheck *pc, struct vigil_fusion *fu);
/* Fast replay: wait until the worker has answered everything queued. */
int pcheck_wait(struct pcheck *pc, struct vigil_fusion *fu);
const struct pcheck_stats *pcheck_stats(const struct pcheck *pc);

#endif
