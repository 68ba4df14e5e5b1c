// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A leftover DIR/<id>.vclip.part (issue #8): the clip open when vigild was
 * killed or the power went, or one whose write failed. At start, on the
 * store's worker thread (rec-store.c), never on the loop, each one vigild
 * is not writing is recovered with libvigil's vigil_clip_reader_recover()
 * (what `vigil-clip recover` does: every complete chunk kept, a cut or
 * damaged tail dropped, a fresh index and footer written), into
 * <id>.vclip.recovering, fsynced, renamed to <id>.vclip (never over an
 * existing file), the directory fsynced, and only then the .part removed
 * (the directory fsynced again). A crash at any point leaves the .part or
 * the whole clip, never neither; a leftover <id>.vclip.recovering is
 * rewritten by the next start.
 *
 * A sealed clip recovers without the owner's key (the device never has
 * it): its chunks are copied as they are, so every frame stays sealed and
 * authenticated; only the new index has no MAC (docs/clip-format.md).
 *
 * A file that does not start with a clip header is not vigil's: it is
 * left alone. A clip header followed by nothing (no frame, no event, no
 * audio) holds no evidence: the caller deletes it, audited.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec-store.h"

#define TMP_EXT ".vclip.recovering"

struct names {
	char part[VIGIL_CLIP_ID_LEN + 16];
	char final[VIGIL_CLIP_ID_LEN + 16];
	char tmp[VIGIL_CLIP_ID_LEN + 24];
};

static int fd_sink(void *arg, const void *data, size_t len)
{
	const int fd = *(const int *)arg;
	const uint8_t *p = data;

	while (len) {
		const ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A clip of @name that is complete, with at least @frames frames. */
static bool complete_clip(int dirfd, const char *name, unsigned int frames)
{
	const int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct vigil_clip_reader *r;
	const char *err;
	struct stat st;
	bool ok = false;
	void *p;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return false;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	if (!vigil_clip_reader_new(p, (size_t)st.st_size, NULL, NULL, &r, &err)) {
		const struct vigil_clip_status *s = vigil_clip_reader_status(r);

		ok = s->state == VIGIL_CLIP_COMPLETE && s->frames >= frames;
		vigil_clip_reader_free(r);
	}
	munmap(p, (size_t)st.st_size);
	return ok;
}

/* The recovered copy into TMP, synced; 0 or -errno. */
static int write_tmp(int dirfd, const struct names *n, struct vigil_clip_reader *r)
{
	int fd, ret;

	/* a leftover of a recovery cut short is vigil's own: rewritten */
	fd = openat(dirfd, n->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0640);
	if (fd < 0)
		return -errno;
	ret = vigil_clip_reader_recover(r, fd_sink, &fd);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* TMP -> FINAL, never over an existing file; 0 or -errno. */
static int rename_noreplace(int dirfd, const struct names *n)
{
	struct stat st;

	if (!renameat2(dirfd, n->tmp, dirfd, n->final, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a file system without RENAME_NOREPLACE: nothing else writes FINAL */
	if (!fstatat(dirfd, n->final, &st, AT_SYMLINK_NOFOLLOW))
		return -EEXIST;
	return renameat(dirfd, n->tmp, dirfd, n->final) ? -errno : 0;
}

enum rec_recover rec_recover_part(int dirfd, const char *dir, const char *id,
				  unsigned int *frames)
{
	const struct vigil_clip_status *st;
	struct vigil_clip_reader *r = NULL;
	enum rec_recover res = REC_KEPT;
	struct names n;
	const char *err = "";
	struct stat sb;
	size_t len;
	void *p;
	int fd, ret;

	*frames = 0;
	snprintf(n.part, sizeof(n.part), "%s%s", id, VIGIL_CLIP_PART_EXT);
	snprintf(n.final, sizeof(n.final), "%s%s", id, VIGIL_CLIP_EXT);
	snprintf(n.tmp, sizeof(n.tmp), "%s%s", id, TMP_EXT);
	if (!rec_is_vigil_clip(dirfd, n.part)) {
		fprintf(stderr, "vigild: recovery: %s/%s: not a vigil clip (no clip header): "
			"left alone\n", dir, n.part);
		return REC_KEPT;
	}
	fd = openat(dirfd, n.part, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "vigild: recovery: %s/%s: %s\n", dir, n.part,
			strerror(fd < 0 ? errno : EINVAL));
		if (fd >= 0)
			close(fd);
		return REC_KEPT;
	}
	len = (size_t)sb.st_size;
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vigild: recovery: %s/%s: mmap: %s\n", dir, n.part,
			strerror(errno));
		return REC_KEPT;
	}
	ret = vigil_clip_reader_new(p, len, NULL, NULL, &r, &err);
	if (ret) {
		/* the magic, then a header cut or corrupt: retention counts it */
		fprintf(stderr, "vigild: recovery: %s/%s: clip header unreadable (%s): kept\n",
			dir, n.part, err ? err : strerror(-ret));
		goto out;
	}
	st = vigil_clip_reader_status(r);
	if (!st->frames && !st->events && !st->audio_blocks) {
		res = REC_EMPTY;
		goto out;
	}
	if (!fstatat(dirfd, n.final, &sb, AT_SYMLINK_NOFOLLOW)) {
		/*
		 * A recovery cut short after its rename: the clip is there,
		 * whole, with every frame the .part holds. Else two files of
		 * one name: both kept.
		 */
		if (!complete_clip(dirfd, n.final, st->frames)) {
			fprintf(stderr, "vigild: recovery: %s/%s: %s exists: kept\n", dir,
				n.part, n.final);
			goto out;
		}
	} else {
		ret = write_tmp(dirfd, &n, r);
		if (!ret)
			ret = rename_noreplace(dirfd, &n);
		if (ret) {
			fprintf(stderr, "vigild: recovery: %s/%s: %s: kept\n", dir, n.part,
				strerror(-ret));
			unlinkat(dirfd, n.tmp, 0);	/* written by write_tmp() */
			goto out;
		}
		if (fsync(dirfd)) {
			fprintf(stderr, "vigild: recovery: %s: directory fsync: %s\n", dir,
				strerror(errno));
			goto out;	/* the .part stays until the rename is durable */
		}
	}
	/* the clip is durable under its final name: the .part goes */
	if (unlinkat(dirfd, n.part, 0) || fsync(dirfd))
		fprintf(stderr, "vigild: recovery: %s/%s: %s\n", dir, n.part, strerror(errno));
	fprintf(stderr, "vigild: recovery: %s/%s recovered into %s: %u frames, %u events "
		"(%s; %llu bytes dropped)\n", dir, n.part, n.final, st->frames, st->events,
		st->detail, (unsigned long long)(len - st->good_bytes));
	*frames = st->frames;
	res = REC_RECOVERED;
out:
	vigil_clip_reader_free(r);
	munmap(p, len);
	return res;
}
