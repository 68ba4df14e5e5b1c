/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild's access-audit writer (issue #8): one per audit log file for the
 * whole daemon (the recorder's retention, HTTP streams, push uploads), on
 * vigild's io_uring, never blocking the loop. The record format is
 * vigil_audit_format()'s (lib/store.c), which `vigil-clip audit` reads.
 */
#ifndef VIGILD_AUDIT_H
#define VIGILD_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vigild.h"

#define AUDIT_ID	13	/* owner in LOOP_TAG() */
#define AUDIT_QUEUE	64	/* records waiting per log, the head in flight */
#define AUDIT_LOGS	4	/* distinct audit logs at most ([record], [push]) */

struct audit;

/*
 * A record is on disk (@res 0: written and fdatasync'ed) or failed
 * (-errno: logged and counted). Called on the loop thread.
 */
typedef void (*audit_done_fn)(void *arg, uint64_t cookie, int res);

/*
 * The writer of the audit log at @path, opened (O_APPEND, created 0600)
 * once: a second caller naming the same file (same device and inode)
 * shares the first one's writer. The loop thread, before the loop runs.
 * 0 or -errno with @err; a log that cannot be opened is an error at start.
 */
int audit_open(struct loop *l, const char *path, struct audit **out, char *err,
	       size_t errlen);
/* Drop a reference; the last one closes the log (after audit_drain()). */
void audit_put(struct audit *a);

/*
 * Queue one record (the loop thread): one write at the end of the log
 * linked to its fdatasync, one record at a time so they stay in order.
 * @done (may be NULL) is called when it completed. 0, or -errno when the
 * record cannot be queued (malformed, -ENOBUFS: the queue is full; logged
 * and counted), and then @done is not called.
 */
int audit_append(struct audit *a, const char *action, const char *clip_id,
		 const char *client, audit_done_fn done, void *arg,
		 uint64_t cookie);
/* The same from another thread (push's worker): no completion callback. */
int audit_post(struct audit *a, const char *action, const char *clip_id,
	       const char *client);
/* Forget @arg's callbacks (it is being freed); its records still go out. */
void audit_forget(struct audit *a, void *arg);

/* A completion of owner AUDIT_ID. */
void audit_cqe(unsigned int tag, const struct io_uring_cqe *cqe);
/*
 * SIGHUP (logrotate): every log is opened again at its path, on the ring;
 * records queued from now on go to the new file, the old fd is closed once
 * its record in flight completed. A failure is logged, and records go on
 * to the old file.
 */
void audit_reopen_all(void);
/* Records queued or in flight, or a reopen under way, in any log. */
bool audit_busy(void);
/* At the end: wait for every record queued (completions of other owners are dropped). */
int audit_drain(struct loop *l);
/* --stats: one line per log. */
void audit_stats(FILE *fp);

/* A log's counters (/metrics): what --stats prints. */
struct audit_counters {
	const char *path;		/* as configured; valid while the log is open */
	unsigned long records;		/* written and fdatasync'ed */
	unsigned long errors;		/* a write or fdatasync failed */
	unsigned long dropped;		/* not queued: malformed, or the queue full */
	unsigned long reopens, reopen_errors;	/* SIGHUP */
};
/* Up to @max logs' counters into @out, the loop thread; how many. */
unsigned int audit_counters(struct audit_counters *out, unsigned int max);

#endif
