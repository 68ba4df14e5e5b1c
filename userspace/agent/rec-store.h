/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recorder's clip store, off the loop (issue #8): retention's directory
 * scan, free-space check and magic checks on a small worker thread, the
 * unlinks and the access-audit records on vigild's io_uring. Used by
 * recorder.c only; its completions come back through recorder_cqe().
 */
#ifndef VIGIL_REC_STORE_H
#define VIGIL_REC_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "vigild.h"

/*
 * The recorder's op codes (recorder.c's TAG()) from this one up are the
 * store's: recorder_cqe() hands them to rec_store_cqe().
 */
#define REC_STORE_OP_BASE 0x40

struct rec_store;

/*
 * A retention batch ended: @gone clips were deleted; every request up to
 * generation @gen (rec_store_retention()'s result) has been served.
 */
typedef void (*rec_store_done_fn)(void *arg, unsigned int gone, unsigned int gen);

/*
 * Start the worker thread (SCHED_OTHER, signals blocked) and the eventfd
 * the loop polls; open the audit log @audit once, O_APPEND. @dirfd is the
 * caller's and must outlive the store. 0 or -errno with @err.
 */
int rec_store_new(const struct vigil_record_config *rc, struct loop *l, int dirfd,
		  const char *audit, rec_store_done_fn done, void *arg,
		  struct rec_store **out, char *err, size_t errlen);
/*
 * Ask for retention (oldest first: max_bytes, max_age_days, reserve_bytes)
 * and, with @need bytes (ENOSPC), at least one clip deleted and reserve +
 * @need free. Never waits: the scan runs on the worker, the unlinks on the
 * ring; requests made meanwhile are merged into the next batch. Returns
 * the request's generation (done() reports when it is served).
 */
unsigned int rec_store_retention(struct rec_store *s, uint64_t need);
/*
 * One access-audit record (one write with O_APPEND then fdatasync, on the
 * ring, one record at a time so they stay in order). 0 or -errno.
 */
int rec_store_audit(struct rec_store *s, const char *action, const char *clip_id,
		    const char *client);
/* A completion of one of the store's ops (@op >= REC_STORE_OP_BASE). */
void rec_store_cqe(struct rec_store *s, unsigned int op, unsigned int idx,
		   const struct io_uring_cqe *cqe);
/* A batch or an audit record is under way. */
bool rec_store_busy(const struct rec_store *s);
unsigned long rec_store_evicted(const struct rec_store *s);
/* Leftover .part files recovered into clips at start. */
unsigned long rec_store_recovered(const struct rec_store *s);
/*
 * The recorder's clip slot @slot (< REC_STORE_WRITING) writes
 * <@id>.vclip.part, or, @id NULL, no more: start-up recovery and
 * retention leave the .part of a clip being written alone.
 */
#define REC_STORE_WRITING 8
void rec_store_writing(struct rec_store *s, unsigned int slot, const char *id);
void rec_store_free(struct rec_store *s);

/* Whether @name in @dirfd starts with the clip magic: vigil's, deletable. */
bool rec_is_vigil_clip(int dirfd, const char *name);

/* rec-recover.c: one leftover <@id>.vclip.part in @dirfd (@dir, for messages) */
enum rec_recover {
	REC_RECOVERED,	/* now <id>.vclip (*@frames frames); the .part removed */
	REC_EMPTY,	/* a clip header and nothing after: the caller deletes it */
	REC_KEPT,	/* left as it is: not vigil's, header unreadable, or an error */
};
enum rec_recover rec_recover_part(int dirfd, const char *dir, const char *id,
				  unsigned int *frames);

#endif
