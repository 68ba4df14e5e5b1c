// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-clip: create, inspect, check, repair, export and decrypt vigil
 * clips (docs/clip-format.md). Run `vigil-clip --help`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "libvigil.h"
#include "vigil-internal.h"

#define EXIT_DAMAGED 1
#define EXIT_USAGE 2

static const char usage_text[] =
"usage: vigil-clip COMMAND [OPTIONS] ARGS...\n"
"\n"
"Clips are vigil's recordings: frames compressed losslessly (or within a\n"
"bounded error) with their timestamps, detections and events, optionally\n"
"sealed so that only the owner can watch them. Format: docs/clip-format.md.\n"
"\n"
"Commands:\n"
"  keygen -o NAME            create an owner key pair: NAME.pub (give it to\n"
"                            the camera) and NAME.key (secret, keep it off\n"
"                            the camera; mode 0600)\n"
"  encode [-n N] [-k FRAMES] [-l LEVEL] [-c CAMERA] [-p NAME.pub] IN.y4m OUT\n"
"                            compress a Y4M file (mono or 4:2:0) into a clip\n"
"       -n N                 near-lossless: every pixel within N (1..16) of\n"
"                            the source; default 0, lossless\n"
"       -k FRAMES            keyframe interval (seek and damage granularity),\n"
"                            default 30\n"
"       -l LEVEL             zstd level -7..19, default 1\n"
"       -c CAMERA            camera id stored in the header (<= 32 bytes)\n"
"       -p NAME.pub          seal the clip to this owner key\n"
"  info [-K NAME.key] CLIP   header, state, groups, events (with their person\n"
"                            verdict and flags) and audio\n"
"  verify [-K NAME.key] CLIP check every chunk, the index and (unless the\n"
"                            clip is sealed and no key is given) decode and\n"
"                            authenticate every frame; exit 0 intact,\n"
"                            1 damaged or truncated, 2 not a clip/usage\n"
"  export [-K NAME.key] [-f y4m|png|mp4] [--audio WAV] [--audit LOG] CLIP [OUT]\n"
"                            frames as Y4M (OUT may be -), PNG files in the\n"
"                            directory OUT, or an MP4 (x264, visually\n"
"                            lossless); png and mp4 need ffmpeg in PATH\n"
"       --audio WAV          also (or, without OUT, only) write the clip's\n"
"                            audio as a 16-bit mono WAV file\n"
"  recover [-K NAME.key] CLIP OUT\n"
"                            write the valid prefix of a truncated or\n"
"                            damaged clip, with a fresh index, to OUT\n"
"  decrypt -K NAME.key [--audit LOG] CLIP OUT\n"
"                            write an unsealed copy of a sealed clip\n"
"       --audit LOG          (export, decrypt) append this access to vigild's\n"
"                            audit log first (client vigil-clip); CLIP must\n"
"                            be named <id>.vclip\n"
"  audit [-i ID] LOG         print vigil's access audit log (every clip read,\n"
"                            export, stream, pull, upload and deletion):\n"
"                            time, action, clip, client; -i ID only that\n"
"                            clip; exit 1 if a line is not a record\n"
"  pull [-T TOKEN_FILE] [-t SECONDS] URL OUT\n"
"                            download a clip from vigild's HTTP API\n"
"                            (.../api/clips/ID) or record its live stream\n"
"                            (.../api/live) for SECONDS (default 10) into\n"
"                            the clip OUT; the token comes from TOKEN_FILE\n"
"                            or the environment variable VIGIL_TOKEN\n"
"\n"
"Exit status: 0 success, 1 damaged/unreadable clip or failed operation,\n"
"2 usage error or a file that is not a clip.\n"
"\n"
"Example:\n"
"  vigil-clip keygen -o owner\n"
"  ffmpeg -i in.mp4 -pix_fmt gray -f yuv4mpegpipe in.y4m\n"
"  vigil-clip encode -p owner.pub in.y4m door.clip\n"
"  vigil-clip verify -K owner.key door.clip && vigil-clip export -K owner.key -f mp4 door.clip door.mp4\n";

static void usage(FILE *fp)
{
	fputs(usage_text, fp);
}

static int die_usage(const char *msg)
{
	fprintf(stderr, "vigil-clip: %s (see vigil-clip --help)\n", msg);
	return EXIT_USAGE;
}

/* ---- files ------------------------------------------------------------ */

struct mapped {
	const uint8_t *data;
	size_t len;
};

static int map_file(const char *path, struct mapped *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vigil-clip: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "vigil-clip: %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	m->len = (size_t)st.st_size;
	m->data = m->len ? mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (m->len && m->data == MAP_FAILED) {
		fprintf(stderr, "vigil-clip: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->len)
		munmap((void *)m->data, m->len);
}

static int fd_sink(void *arg, const void *buf, size_t len)
{
	const int fd = *(int *)arg;
	const uint8_t *p = buf;

	while (len) {
		const ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Output written to PATH.part, then fsynced and renamed into place. */
struct out_file {
	char tmp[PATH_MAX];
	const char *path;
	int fd;
};

static int out_open(struct out_file *o, const char *path)
{
	if (snprintf(o->tmp, sizeof(o->tmp), "%s.part", path) >= (int)sizeof(o->tmp))
		return -ENAMETOOLONG;
	o->path = path;
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		fprintf(stderr, "vigil-clip: %s: %s\n", o->tmp, strerror(errno));
		return -errno;
	}
	return 0;
}

static int out_close(struct out_file *o, bool keep)
{
	int ret = 0;

	if (keep && (fsync(o->fd) || rename(o->tmp, o->path))) {
		ret = -errno;
		fprintf(stderr, "vigil-clip: %s: %s\n", o->path, strerror(errno));
	}
	close(o->fd);
	if (!keep || ret)
		unlink(o->tmp);
	return ret;
}

/* ---- keys --------------------------------------------------------------- */

static void hex(FILE *fp, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", b[i]);
}

static int unhex(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	return 0;
}

/* NAME.pub: "vigil-pub HEX"; NAME.key: "vigil-key PUBHEX SECHEX". */
static int read_key(const char *path, uint8_t *pk, uint8_t *sk)
{
	char line[256], a[80] = "", b[80] = "", c[80] = "";
	FILE *fp = fopen(path, "re");
	int n;

	if (!fp) {
		fprintf(stderr, "vigil-clip: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	fclose(fp);
	n = sscanf(line, "%15s %79s %79s", a, b, c);
	if ((sk ? (n != 3 || strcmp(a, "vigil-key")) :
		  (n != 2 || strcmp(a, "vigil-pub"))) ||
	    strlen(b) != 2 * VIGIL_CLIP_PK_BYTES || unhex(b, pk, VIGIL_CLIP_PK_BYTES) ||
	    (sk && (strlen(c) != 2 * VIGIL_CLIP_SK_BYTES ||
		    unhex(c, sk, VIGIL_CLIP_SK_BYTES)))) {
		fprintf(stderr, "vigil-clip: %s: not a vigil %s key file\n", path,
			sk ? "secret (.key)" : "public (.pub)");
		return -1;
	}
	return 0;
}

static int cmd_keygen(int argc, char **argv)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	char pub[PATH_MAX], sec[PATH_MAX];
	const char *name = NULL;
	FILE *fp;
	int opt, fd;

	while ((opt = getopt(argc, argv, "o:")) != -1) {
		if (opt != 'o')
			return die_usage("keygen: unknown option");
		name = optarg;
	}
	if (!name || optind != argc)
		return die_usage("keygen needs -o NAME and nothing else");
	if (snprintf(pub, sizeof(pub), "%s.pub", name) >= (int)sizeof(pub) ||
	    snprintf(sec, sizeof(sec), "%s.key", name) >= (int)sizeof(sec))
		return die_usage("keygen: name too long");
	if (vigil_clip_keygen(pk, sk)) {
		fprintf(stderr, "vigil-clip: cannot generate a key\n");
		return 1;
	}
	fd = open(sec, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !(fp = fdopen(fd, "w"))) {
		fprintf(stderr, "vigil-clip: %s: %s\n", sec, strerror(errno));
		return 1;
	}
	fputs("vigil-key ", fp);
	hex(fp, pk, sizeof(pk));
	fputc(' ', fp);
	hex(fp, sk, sizeof(sk));
	fputc('\n', fp);
	if (fclose(fp)) {
		fprintf(stderr, "vigil-clip: %s: %s\n", sec, strerror(errno));
		return 1;
	}
	fp = fopen(pub, "wxe");
	if (!fp) {
		fprintf(stderr, "vigil-clip: %s: %s\n", pub, strerror(errno));
		return 1;
	}
	fputs("vigil-pub ", fp);
	hex(fp, pk, sizeof(pk));
	fputc('\n', fp);
	if (fclose(fp)) {
		fprintf(stderr, "vigil-clip: %s: %s\n", pub, strerror(errno));
		return 1;
	}
	printf("wrote %s (public) and %s (secret)\n", pub, sec);
	return 0;
}

/* ---- encode ------------------------------------------------------------- */

static int parse_uint(const char *s, unsigned int max, unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n > max || s[0] == '-')
		return -1;
	*v = (unsigned int)n;
	return 0;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmd_encode(int argc, char **argv)
{
	struct vigil_clip_header h = { 0 };
	struct vigil_clip_writer *w = NULL;
	struct vigil_encoder *e = NULL;
	const struct vigil_y4m_info *in;
	uint8_t pk[VIGIL_CLIP_PK_BYTES];
	const char *pubfile = NULL, *err;
	struct vigil_y4m *y = NULL;
	struct out_file out;
	struct mapped m;
	uint8_t *buf = NULL;
	unsigned int n = 0, v;
	int opt, ret, rc = 1;
	size_t cap;

	vigil_codec_params_default(&h.codec);
	while ((opt = getopt(argc, argv, "n:k:l:c:p:")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_uint(optarg, VIGIL_CODEC_MAX_NEAR, &h.codec.near))
				return die_usage("encode: -n takes 0..16");
			break;
		case 'k':
			if (parse_uint(optarg, VIGIL_CODEC_MAX_KEYINT, &h.codec.keyint) ||
			    !h.codec.keyint)
				return die_usage("encode: -k takes 1..100000");
			break;
		case 'l':
			if (optarg[0] == '-' ? parse_uint(optarg + 1, 7, &v) :
					       parse_uint(optarg, 19, &v))
				return die_usage("encode: -l takes -7..19");
			h.codec.level = optarg[0] == '-' ? -(int)v : (int)v;
			break;
		case 'c':
			if (strlen(optarg) > VIGIL_CLIP_CAMERA_MAX)
				return die_usage("encode: camera id longer than 32 bytes");
			strcpy(h.camera, optarg);
			break;
		case 'p':
			pubfile = optarg;
			break;
		default:
			return die_usage("encode: unknown option");
		}
	}
	if (argc - optind != 2)
		return die_usage("encode needs IN.y4m and OUT");
	if (pubfile && read_key(pubfile, pk, NULL))
		return 1;
	if (map_file(argv[optind], &m))
		return 1;
	if (vigil_y4m_new(m.data, m.len, &y, &err)) {
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind], err);
		unmap_file(&m);
		return 1;
	}
	in = vigil_y4m_info(y);
	h.codec.fmt = in->fmt;
	h.codec.width = in->width;
	h.codec.height = in->height;
	h.fps_num = in->fps_num ? in->fps_num : 30;
	h.fps_den = in->fps_den ? in->fps_den : 1;
	h.created_wall_ns = now_ns(CLOCK_REALTIME);
	ret = vigil_encoder_new(&h.codec, &e);
	if (ret) {
		fprintf(stderr, "vigil-clip: encoder: %s\n", strerror(-ret));
		goto out_y4m;
	}
	cap = vigil_encoder_bound(e);
	buf = malloc(cap);
	if (!buf || out_open(&out, argv[optind + 1]))
		goto out_enc;
	ret = vigil_clip_writer_new(&h, pubfile ? pk : NULL, fd_sink, &out.fd, &w);
	if (ret) {
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind + 1], strerror(-ret));
		goto out_file;
	}
	for (;;) {
		const uint64_t period = 1000000000ull * h.fps_den / h.fps_num;
		struct vigil_clip_frame_meta meta = { .mono_ns = n * period,
						      .wall_ns = h.created_wall_ns + n * period };
		const uint8_t *frame;
		size_t len;

		ret = vigil_y4m_next(y, &frame);
		if (ret == -ENODATA)
			break;
		if (ret) {
			fprintf(stderr, "vigil-clip: %s: frame %u: %s\n", argv[optind],
				n, vigil_y4m_error(y));
			goto out_writer;
		}
		ret = vigil_encoder_encode(e, frame, buf, cap, &len, NULL);
		if (!ret)
			ret = vigil_clip_writer_frame(w, buf, len, &meta);
		if (ret) {
			fprintf(stderr, "vigil-clip: frame %u: %s\n", n, strerror(-ret));
			goto out_writer;
		}
		n++;
	}
	ret = vigil_clip_writer_close(w);
	if (ret) {
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind + 1], strerror(-ret));
		goto out_writer;
	}
	printf("%u frames, %zu -> %" PRIu64 " bytes (%.2fx)%s\n", n,
	       (size_t)n * in->frame_size, vigil_clip_writer_bytes(w),
	       (double)n * in->frame_size / (double)vigil_clip_writer_bytes(w),
	       pubfile ? ", sealed" : "");
	rc = 0;
out_writer:
	vigil_clip_writer_free(w);
out_file:
	if (out_close(&out, rc == 0))
		rc = 1;
out_enc:
	free(buf);
	vigil_encoder_free(e);
out_y4m:
	vigil_y4m_free(y);
	unmap_file(&m);
	return rc;
}

/* ---- reading commands ----------------------------------------------------- */

struct opened {
	struct mapped m;
	struct vigil_clip_reader *r;
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	bool keyed;
};

/* Returns 0, or the exit status to use. */
static int open_clip(const char *path, const char *keyfile, struct opened *o)
{
	const char *err;
	int ret;

	memset(o, 0, sizeof(*o));
	if (keyfile) {
		if (read_key(keyfile, o->pk, o->sk))
			return 1;
		o->keyed = true;
	}
	if (map_file(path, &o->m))
		return 1;
	ret = vigil_clip_reader_new(o->m.data, o->m.len, o->keyed ? o->pk : NULL,
				    o->keyed ? o->sk : NULL, &o->r, &err);
	if (ret) {
		fprintf(stderr, "vigil-clip: %s: %s\n", path, err);
		unmap_file(&o->m);
		return ret == -EBADMSG ? EXIT_USAGE : 1;
	}
	return 0;
}

static void close_clip(struct opened *o)
{
	vigil_clip_reader_free(o->r);
	unmap_file(&o->m);
}

static const char *state_name(enum vigil_clip_state s)
{
	switch (s) {
	case VIGIL_CLIP_COMPLETE: return "complete";
	case VIGIL_CLIP_TRUNCATED: return "truncated";
	case VIGIL_CLIP_DAMAGED: return "damaged";
	}
	return "?";
}

/* Parse "-K KEY" and one or two file arguments. */
/* --audit LOG (export, decrypt): where this access is recorded */
static const char *audit_log;

/*
 * Append this access of @clip (named <id>.vclip) to --audit LOG, if given.
 * 0, or 1 with a message: an access that cannot be audited does not happen.
 */
static int audit_access(const char *clip, const char *action)
{
	const char *base = strrchr(clip, '/');
	char id[VIGIL_CLIP_ID_LEN + 1], err[512];

	if (!audit_log)
		return 0;
	base = base ? base + 1 : clip;
	if (strlen(base) != VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_EXT) ||
	    strcmp(base + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_EXT)) {
		fprintf(stderr, "vigil-clip: --audit: %s is not named <id>%s "
			"(as vigild names its clips)\n", clip, VIGIL_CLIP_EXT);
		return 1;
	}
	memcpy(id, base, VIGIL_CLIP_ID_LEN);
	id[VIGIL_CLIP_ID_LEN] = 0;
	if (!vigil_clip_id_valid(id) ||
	    vigil_audit_append(audit_log, action, id, "vigil-clip", err, sizeof(err))) {
		fprintf(stderr, "vigil-clip: --audit %s: %s\n", audit_log,
			vigil_clip_id_valid(id) ? err : "not a clip id");
		return 1;
	}
	return 0;
}

/* --audio WAV (export) */
static const char *audio_out;

static int reader_args(int argc, char **argv, const char *cmd, int nfiles,
		       const char **key, const char **fmt)
{
	static const struct option longopts[] = {
		{ "audio", required_argument, NULL, 'W' },
		{ "audit", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const bool is_export = !strcmp(cmd, "export");
	const bool audited = !strcmp(cmd, "export") || !strcmp(cmd, "decrypt");
	int opt;

	while ((opt = getopt_long(argc, argv, fmt ? "K:f:" : "K:",
				  is_export ? longopts : audited ? longopts + 1 :
				  longopts + 2, NULL)) != -1) {
		if (opt == 'A')
			audit_log = optarg;
		else if (opt == 'W')
			audio_out = optarg;
		else if (opt == 'K')
			*key = optarg;
		else if (opt == 'f' && fmt)
			*fmt = optarg;
		else
			return -1;
	}
	if (is_export && audio_out && argc - optind == 1)
		return 0;
	if (argc - optind != nfiles) {
		fprintf(stderr, "vigil-clip: %s needs %s\n", cmd,
			nfiles == 1 ? "CLIP" : "CLIP and OUT");
		return -1;
	}
	return 0;
}

/* ---- clip format version 2: person verdict, event flags, audio ---------- */

static const char *person_name(unsigned int p)
{
	switch (p) {
	case VIGIL_CLIP_PERSON_UNCHECKED: return "not checked";
	case VIGIL_CLIP_PERSON_YES: return "person";
	case VIGIL_CLIP_PERSON_NO: return "no-person";
	case VIGIL_CLIP_PERSON_FAILED: return "check failed";
	}
	return "?";
}

/* The rest of an "event N:" line of info. */
static void info_event_v2(const struct vigil_clip_header *h,
			  const struct vigil_clip_event *ev)
{
	if (h->version >= 2)
		printf(", %s", person_name(ev->person));
	if (ev->person == VIGIL_CLIP_PERSON_YES || ev->person == VIGIL_CLIP_PERSON_NO)
		printf(" (score %u)", ev->person_score);
	if (ev->flags & VIGIL_CLIP_EV_CONTINUED)
		printf(", continued from the previous clip");
	if (ev->flags & VIGIL_CLIP_EV_OPEN)
		printf(", still open at the end");
	printf("\n");
}

static void info_audio(const struct vigil_clip_header *h,
		       const struct vigil_clip_status *st, struct vigil_clip_reader *r)
{
	struct vigil_clip_audio a;
	double secs = 0;

	printf("version:   %u\n", h->version);
	if (!h->audio) {
		printf("audio:     none\n");
		return;
	}
	for (unsigned int i = 0; i < st->audio_blocks; i++)
		if (!vigil_clip_reader_audio(r, i, &a, NULL))
			secs += (double)a.nsamples / a.rate;
	if (!st->audio_blocks) {
		printf("audio:     0 blocks\n");
		return;
	}
	vigil_clip_reader_audio(r, 0, &a, NULL);
	printf("audio:     %u blocks, %.3f s at %u Hz mono S16, from %.3f s\n",
	       st->audio_blocks, secs, a.rate, a.mono_ns / 1e9);
}

/* The end of verify's OK line. */
static const char *verify_audio_note(const struct vigil_clip_header *h,
				     const struct vigil_clip_status *st, bool keyed)
{
	static char note[96];

	if (!h->audio)
		return "";
	snprintf(note, sizeof(note), ", %u audio blocks%s", st->audio_blocks,
		 h->encrypted && keyed ? " authenticated" : "");
	return note;
}

/* Authenticate (sealed) or read every audio block: 0 or the first error. */
static int verify_audio(struct vigil_clip_reader *r, const struct vigil_clip_status *st)
{
	static int16_t pcm[VIGIL_CLIP_AUDIO_MAX];
	struct vigil_clip_audio a;

	for (unsigned int i = 0; i < st->audio_blocks; i++) {
		const int ret = vigil_clip_reader_audio(r, i, &a, pcm);

		if (ret)
			return ret;
	}
	return 0;
}

static void wav_header(uint8_t *b, unsigned int rate, uint64_t samples)
{
	const uint32_t data = (uint32_t)(samples * 2);
	const uint32_t v[] = { 36 + data, 16, 1 | 1u << 16, rate, rate * 2,
			       2 | 16u << 16, data };

	memcpy(b, "RIFF", 4);
	memcpy(b + 8, "WAVEfmt ", 8);
	memcpy(b + 36, "data", 4);
	for (unsigned int i = 0; i < 7; i++) {
		const unsigned int at[] = { 4, 16, 20, 24, 28, 32, 40 };

		for (int k = 0; k < 4; k++)
			b[at[i] + k] = (uint8_t)(v[i] >> (8 * k));
	}
}

/* The clip's audio blocks, in order, as one WAV file at @path. */
static int export_wav(struct opened *o, const char *path)
{
	const struct vigil_clip_status *st = vigil_clip_reader_status(o->r);
	static int16_t pcm[VIGIL_CLIP_AUDIO_MAX];
	uint8_t hdr[44], le[2 * VIGIL_CLIP_AUDIO_MAX];
	struct vigil_clip_audio a;
	unsigned int rate = 0;
	uint64_t total = 0;
	struct out_file f;
	int ret = 0;

	if (!vigil_clip_reader_header(o->r)->audio || !st->audio_blocks) {
		fprintf(stderr, "vigil-clip: --audio: the clip has no audio\n");
		return 1;
	}
	for (unsigned int i = 0; i < st->audio_blocks; i++) {
		vigil_clip_reader_audio(o->r, i, &a, NULL);
		if (rate && a.rate != rate) {
			fprintf(stderr, "vigil-clip: --audio: the sample rate changes "
				"(%u Hz, then %u Hz in block %u): not one WAV file\n",
				rate, a.rate, a.block);
			return 1;
		}
		rate = a.rate;
		total += a.nsamples;
	}
	if (total * 2 > UINT32_MAX - 36) {
		fprintf(stderr, "vigil-clip: --audio: too long for a WAV file\n");
		return 1;
	}
	if (out_open(&f, path))
		return 1;
	wav_header(hdr, rate, total);
	ret = fd_sink(&f.fd, hdr, sizeof(hdr));
	for (unsigned int i = 0; !ret && i < st->audio_blocks; i++) {
		ret = vigil_clip_reader_audio(o->r, i, &a, pcm);
		if (ret) {
			fprintf(stderr, "vigil-clip: %s\n", vigil_clip_reader_error(o->r));
			break;
		}
		for (unsigned int k = 0; k < a.nsamples; k++) {
			le[2 * k] = (uint8_t)pcm[k];
			le[2 * k + 1] = (uint8_t)((uint16_t)pcm[k] >> 8);
		}
		ret = fd_sink(&f.fd, le, 2 * (size_t)a.nsamples);
	}
	if (out_close(&f, !ret) || ret)
		return 1;
	/* stderr: the frames may be going to stdout */
	fprintf(stderr, "vigil-clip: %u audio blocks, %" PRIu64 " samples at %u Hz "
		"into %s\n", st->audio_blocks, total, rate, path);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	const struct vigil_clip_header *h;
	const struct vigil_clip_status *st;
	const char *key = NULL;
	struct opened o;
	time_t t;
	char when[64];
	int rc;

	if (reader_args(argc, argv, "info", 1, &key, NULL))
		return die_usage("info [-K NAME.key] CLIP");
	rc = open_clip(argv[optind], key, &o);
	if (rc)
		return rc;
	h = vigil_clip_reader_header(o.r);
	st = vigil_clip_reader_status(o.r);
	t = (time_t)(h->created_wall_ns / 1000000000ull);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("clip:      %s\n", argv[optind]);
	printf("camera:    %s\n", h->camera[0] ? h->camera : "(none)");
	printf("created:   %s\n", when);
	printf("format:    %s %ux%u @ %u/%u fps\n", vigil_pixfmt_name(h->codec.fmt),
	       h->codec.width, h->codec.height, h->fps_num, h->fps_den);
	if (h->codec.near)
		printf("codec:     near-lossless (every pixel within %u), keyframe every %u\n",
		       h->codec.near, h->codec.keyint);
	else
		printf("codec:     lossless, keyframe every %u\n", h->codec.keyint);
	printf("sealed:    %s\n", !h->encrypted ? "no" :
	       o.keyed ? "yes (opened with the owner key)" : "yes (no key given)");
	printf("state:     %s (%s)\n", state_name(st->state), st->detail);
	printf("frames:    %u in %u groups, %u events\n", st->frames, st->groups,
	       st->events);
	/* a whole clip with no frame: still the record of an alarm (userspace/README.md) */
	if (!st->frames && st->state == VIGIL_CLIP_COMPLETE)
		printf("note:      no frame (from vigild: none came before the clip closed, "
		       "or each was not recorded, counted in rec_dropped)%s\n",
		       st->events ? "; the events are the alarm's record" : "");
	info_audio(h, st, o.r);
	if (st->frames > 0)
		printf("bytes:     %" PRIu64 " of whole chunks, %zu in the file\n",
		       st->good_bytes, o.m.len);
	for (unsigned int i = 0; i < st->events; i++) {
		struct vigil_clip_event ev;

		if (vigil_clip_reader_event(o.r, i, &ev)) {
			printf("event %u:   %s\n", i, vigil_clip_reader_error(o.r));
			continue;
		}
		printf("event %u:   type %u, %.3f..%.3f s, score %.4f, %u boxes, %u PIR edges",
		       i, ev.type, ev.start_mono_ns / 1e9, ev.end_mono_ns / 1e9,
		       ev.score, ev.nboxes, ev.npir);
		info_event_v2(h, &ev);
	}
	close_clip(&o);
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const struct vigil_clip_header *h;
	const struct vigil_clip_status *st;
	const char *key = NULL;
	struct opened o;
	uint8_t *frame;
	size_t fsize;
	unsigned int n = 0;
	int rc, ret;

	if (reader_args(argc, argv, "verify", 1, &key, NULL))
		return die_usage("verify [-K NAME.key] CLIP");
	rc = open_clip(argv[optind], key, &o);
	if (rc)
		return rc;
	h = vigil_clip_reader_header(o.r);
	st = vigil_clip_reader_status(o.r);
	vigil_pixfmt_frame_size(h->codec.fmt, h->codec.width, h->codec.height, &fsize);
	frame = malloc(fsize);
	if (!frame) {
		close_clip(&o);
		return 1;
	}
	rc = 0;
	if (st->state != VIGIL_CLIP_COMPLETE) {
		printf("%s: %s %s; %u complete frames (vigil-clip recover saves them)\n",
		       argv[optind], state_name(st->state), st->detail, st->frames);
		rc = EXIT_DAMAGED;
	}
	if (h->encrypted && !o.keyed) {
		printf("%s: sealed, no key: chunks and index checked, frames not "
		       "authenticated\n", argv[optind]);
	} else {
		while (!(ret = vigil_clip_reader_next(o.r, frame, NULL)))
			n++;
		if (ret < 0) {
			printf("%s: %s\n", argv[optind], vigil_clip_reader_error(o.r));
			rc = EXIT_DAMAGED;
		}
		for (unsigned int i = 0; i < st->events; i++) {
			struct vigil_clip_event ev;

			if (vigil_clip_reader_event(o.r, i, &ev)) {
				printf("%s: %s\n", argv[optind], vigil_clip_reader_error(o.r));
				rc = EXIT_DAMAGED;
			}
		}
		if (verify_audio(o.r, st)) {
			printf("%s: %s\n", argv[optind], vigil_clip_reader_error(o.r));
			rc = EXIT_DAMAGED;
		}
		if (h->encrypted && st->state == VIGIL_CLIP_COMPLETE &&
		    !st->index_authenticated)
			printf("%s: index not authenticated (recovered without the key)\n",
			       argv[optind]);
	}
	if (!rc)
		printf("%s: OK, %u frames%s%s\n", argv[optind], st->frames,
		       h->encrypted && o.keyed ? ", every frame authenticated" : "",
		       verify_audio_note(h, st, o.keyed));
	free(frame);
	close_clip(&o);
	return rc;
}

/*
 * A frame of @fmt as Y4M's planes Y, Cb, Cr: the frame itself when it is
 * in that layout (GREY, I420), else rearranged into @planar.
 */
static const uint8_t *y4m_planes(enum vigil_pixfmt fmt, const uint8_t *frame, size_t luma,
				 size_t fsize, uint8_t *planar)
{
	const size_t nc = (fsize - luma) / 2;	/* samples of one chroma plane */
	/* where Cb and Cr sit: interleaved pairs or planes */
	const unsigned int cb = fmt == VIGIL_FMT_NV21 || fmt == VIGIL_FMT_YV12;

	switch (fmt) {
	case VIGIL_FMT_GREY:
	case VIGIL_FMT_I420:
		return frame;
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
		memcpy(planar, frame, luma);
		for (size_t i = 0; i < nc; i++) {
			planar[luma + i] = frame[luma + 2 * i + cb];
			planar[luma + nc + i] = frame[luma + 2 * i + 1 - cb];
		}
		return planar;
	case VIGIL_FMT_YV12:
		memcpy(planar, frame, luma);
		memcpy(planar + luma, frame + luma + nc, nc);
		memcpy(planar + luma + nc, frame + luma, nc);
		return planar;
	case VIGIL_FMT_YUYV:
	case VIGIL_FMT_UYVY: {
		/* YUYV: Y0 Cb Y1 Cr; UYVY: Cb Y0 Cr Y1 */
		const unsigned int y = fmt == VIGIL_FMT_UYVY;

		for (size_t i = 0; i < luma / 2; i++) {
			planar[2 * i] = frame[4 * i + y];
			planar[luma + i] = frame[4 * i + 1 - y];
			planar[2 * i + 1] = frame[4 * i + 2 + y];
			planar[luma + luma / 2 + i] = frame[4 * i + 3 - y];
		}
		return planar;
	}
	}
	return frame;
}

/*
 * Y4M of the clip's frames to @fd: GREY as mono, the 4:2:0 formats as
 * I420 (C420jpeg), the packed 4:2:2 ones as planar 4:2:2 (C422).
 */
static int write_y4m(struct opened *o, int fd)
{
	const struct vigil_clip_header *h = vigil_clip_reader_header(o->r);
	const unsigned int w = h->codec.width, ht = h->codec.height;
	const size_t luma = (size_t)w * ht;
	const char *cs = h->codec.fmt == VIGIL_FMT_GREY ? "mono" :
			 h->codec.fmt == VIGIL_FMT_YUYV || h->codec.fmt == VIGIL_FMT_UYVY ?
			 "422" : "420jpeg";
	uint8_t *frame, *planar;
	char hdr[128];
	size_t fsize;
	int ret, n, rd = 0;

	vigil_pixfmt_frame_size(h->codec.fmt, w, ht, &fsize);
	frame = malloc(fsize);
	planar = malloc(fsize);
	if (!frame || !planar) {
		free(frame);
		free(planar);
		return -ENOMEM;
	}
	n = snprintf(hdr, sizeof(hdr), "YUV4MPEG2 W%u H%u F%u:%u Ip A1:1 C%s\n",
		     w, ht, h->fps_num, h->fps_den, cs);
	ret = fd_sink(&fd, hdr, (size_t)n);
	while (!ret) {
		const uint8_t *out;

		rd = vigil_clip_reader_next(o->r, frame, NULL);
		if (rd)
			break;
		out = y4m_planes(h->codec.fmt, frame, luma, fsize, planar);
		ret = fd_sink(&fd, "FRAME\n", 6);
		if (!ret)
			ret = fd_sink(&fd, out, fsize);
	}
	free(frame);
	free(planar);
	if (ret)
		fprintf(stderr, "vigil-clip: writing: %s\n", strerror(-ret));
	else if (rd < 0)
		fprintf(stderr, "vigil-clip: %s\n", vigil_clip_reader_error(o->r));
	return ret ? ret : rd < 0 ? rd : 0;
}

static bool have_ffmpeg(void)
{
	return system("command -v ffmpeg >/dev/null 2>&1") == 0;
}

static int cmd_export(int argc, char **argv)
{
	const char *key = NULL, *fmt = "y4m", *out;
	struct opened o;
	int rc;

	if (reader_args(argc, argv, "export", 2, &key, &fmt))
		return die_usage("export [-K NAME.key] [-f y4m|png|mp4] [--audio WAV] "
				 "[--audit LOG] CLIP [OUT]");
	out = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcmp(fmt, "y4m") && strcmp(fmt, "png") && strcmp(fmt, "mp4"))
		return die_usage("export: -f takes y4m, png or mp4");
	if (out && strcmp(fmt, "y4m") && !have_ffmpeg()) {
		fprintf(stderr, "vigil-clip: export -f %s needs ffmpeg, which is not "
			"installed (export -f y4m works without it)\n", fmt);
		return 1;
	}
	rc = open_clip(argv[optind], key, &o);
	if (rc)
		return rc;
	if (vigil_clip_reader_header(o.r)->encrypted && !key) {
		fprintf(stderr, "vigil-clip: %s is sealed: give the owner key with -K\n",
			argv[optind]);
		close_clip(&o);
		return 1;
	}
	if (audit_access(argv[optind], "export")) {
		close_clip(&o);
		return 1;
	}
	if (audio_out && export_wav(&o, audio_out)) {
		close_clip(&o);
		return 1;
	}
	if (!out) {
		rc = 0;
	} else if (!strcmp(fmt, "y4m")) {
		struct out_file f;

		if (!strcmp(out, "-")) {
			rc = write_y4m(&o, STDOUT_FILENO) ? 1 : 0;
		} else if (out_open(&f, out)) {
			rc = 1;
		} else {
			rc = write_y4m(&o, f.fd) ? 1 : 0;
			if (out_close(&f, rc == 0))
				rc = 1;
		}
	} else {
		int pfd[2], status;
		pid_t pid;

		if (!strcmp(fmt, "png") && mkdir(out, 0755) && errno != EEXIST) {
			fprintf(stderr, "vigil-clip: %s: %s\n", out, strerror(errno));
			close_clip(&o);
			return 1;
		}
		if (pipe(pfd)) {
			close_clip(&o);
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			char pat[PATH_MAX];

			dup2(pfd[0], STDIN_FILENO);
			close(pfd[0]);
			close(pfd[1]);
			if (!strcmp(fmt, "png")) {
				snprintf(pat, sizeof(pat), "%s/frame-%%05d.png", out);
				execlp("ffmpeg", "ffmpeg", "-v", "error", "-y", "-f",
				       "yuv4mpegpipe", "-i", "-", pat, (char *)NULL);
			} else {
				execlp("ffmpeg", "ffmpeg", "-v", "error", "-y", "-f",
				       "yuv4mpegpipe", "-i", "-", "-c:v", "libx264",
				       "-crf", "12", "-pix_fmt", "yuv420p", out,
				       (char *)NULL);
			}
			_exit(127);
		}
		close(pfd[0]);
		rc = pid < 0 ? 1 : write_y4m(&o, pfd[1]) ? 1 : 0;
		close(pfd[1]);
		if (pid > 0 && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
				WEXITSTATUS(status))) {
			fprintf(stderr, "vigil-clip: ffmpeg failed\n");
			rc = 1;
		}
	}
	close_clip(&o);
	return rc;
}

static int cmd_recover(int argc, char **argv)
{
	const struct vigil_clip_status *st;
	const char *key = NULL;
	struct out_file f;
	struct opened o;
	int rc, ret;

	if (reader_args(argc, argv, "recover", 2, &key, NULL))
		return die_usage("recover [-K NAME.key] CLIP OUT");
	rc = open_clip(argv[optind], key, &o);
	if (rc)
		return rc;
	st = vigil_clip_reader_status(o.r);
	if (out_open(&f, argv[optind + 1])) {
		close_clip(&o);
		return 1;
	}
	ret = vigil_clip_reader_recover(o.r, fd_sink, &f.fd);
	if (ret)
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind + 1], strerror(-ret));
	rc = out_close(&f, !ret) || ret ? 1 : 0;
	if (!rc)
		printf("%s: %s (%s): recovered %u frames in %u groups, %u events "
		       "(%zu bytes dropped) into %s\n", argv[optind],
		       state_name(st->state), st->detail, st->frames, st->groups,
		       st->events, o.m.len - (size_t)st->good_bytes, argv[optind + 1]);
	close_clip(&o);
	return rc;
}

static int cmd_decrypt(int argc, char **argv)
{
	const struct vigil_clip_header *h;
	const struct vigil_clip_status *st;
	struct vigil_clip_writer *w = NULL;
	const char *key = NULL;
	struct out_file f;
	struct opened o;
	int rc, ret;

	if (reader_args(argc, argv, "decrypt", 2, &key, NULL) || !key)
		return die_usage("decrypt -K NAME.key [--audit LOG] CLIP OUT");
	rc = open_clip(argv[optind], key, &o);
	if (rc)
		return rc;
	h = vigil_clip_reader_header(o.r);
	st = vigil_clip_reader_status(o.r);
	if (!h->encrypted) {
		fprintf(stderr, "vigil-clip: %s is not sealed\n", argv[optind]);
		close_clip(&o);
		return 1;
	}
	if (audit_access(argv[optind], "decrypt")) {
		close_clip(&o);
		return 1;
	}
	if (out_open(&f, argv[optind + 1])) {
		close_clip(&o);
		return 1;
	}
	ret = vigil_clip_writer_new(h, NULL, fd_sink, &f.fd, &w);
	for (;;) {
		struct vigil_clip_frame_meta m;
		const void *data;
		size_t len;

		if (ret)
			break;
		ret = vigil_clip_reader_next_encoded(o.r, &data, &len, &m);
		if (ret == 1) {
			ret = 0;
			break;
		}
		if (!ret)
			ret = vigil_clip_writer_frame(w, data, len, &m);
	}
	for (unsigned int i = 0; !ret && i < st->events; i++) {
		struct vigil_clip_event ev;

		ret = vigil_clip_reader_event(o.r, i, &ev);
		if (!ret)
			ret = vigil_clip_writer_event(w, &ev);
	}
	for (unsigned int i = 0; !ret && i < st->audio_blocks; i++) {
		static int16_t pcm[VIGIL_CLIP_AUDIO_MAX];
		struct vigil_clip_audio a;

		ret = vigil_clip_reader_audio(o.r, i, &a, pcm);
		if (!ret)
			ret = vigil_clip_writer_audio(w, a.mono_ns, a.rate, pcm, a.nsamples);
	}
	if (!ret)
		ret = vigil_clip_writer_close(w);
	if (ret)
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind],
			ret == -EBADMSG || ret == -EACCES ?
			vigil_clip_reader_error(o.r) : strerror(-ret));
	vigil_clip_writer_free(w);
	rc = out_close(&f, !ret) || ret ? 1 : 0;
	if (!rc)
		printf("%s: %u frames, %u events decrypted into %s%s\n", argv[optind],
		       st->frames, st->events, argv[optind + 1],
		       st->state == VIGIL_CLIP_COMPLETE ? "" : " (clip was not complete)");
	close_clip(&o);
	return rc;
}

static int cmd_audit(int argc, char **argv)
{
	const char *only = NULL;
	char line[VIGIL_AUDIT_LINE_MAX + 2];
	struct vigil_audit_rec r;
	unsigned long n = 0, bad = 0, shown = 0;
	FILE *fp;
	int c;

	while ((c = getopt(argc, argv, "i:")) != -1) {
		if (c != 'i')
			return die_usage("audit [-i ID] LOG");
		only = optarg;
	}
	if (optind + 1 != argc)
		return die_usage("audit [-i ID] LOG");
	if (only && !vigil_clip_id_valid(only)) {
		fprintf(stderr, "vigil-clip: '%s' is not a clip id (YYYYMMDDTHHMMSSZ-NNNN)\n",
			only);
		return EXIT_USAGE;
	}
	fp = fopen(argv[optind], "re");
	if (!fp) {
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line);

		n++;
		if (len && line[len - 1] != '\n' && !feof(fp)) {
			int ch;

			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			len = 0;	/* over-long: not ours */
		}
		if (!len || vigil_audit_parse(line, &r)) {
			fprintf(stderr, "vigil-clip: %s:%lu: not an audit record%s\n",
				argv[optind], n, feof(fp) ? " (torn by a power cut?)" : "");
			bad++;
			continue;
		}
		if (only && strcmp(only, r.clip))
			continue;
		printf("%-20s  %-7s  %s  %s\n", r.ts, r.action, r.clip, r.client);
		shown++;
	}
	if (ferror(fp)) {
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind], strerror(errno));
		bad++;
	}
	fclose(fp);
	if (!shown && !bad)
		fprintf(stderr, "vigil-clip: %s: no records%s\n", argv[optind],
			only ? " for that clip" : "");
	return bad ? 1 : 0;
}

/* BEGIN pull (issue #9): a clip or the live stream from vigild's HTTP API */

struct pull {
	int fd;
	uint64_t bytes;
	int err;
};

static size_t pull_write(char *p, size_t size, size_t n, void *arg)
{
	struct pull *pl = arg;
	const size_t len = size * n;

	if (fd_sink(&pl->fd, p, len)) {
		pl->err = errno ? errno : EIO;
		return 0;
	}
	pl->bytes += len;
	return len;
}

static int pull_token(const char *file, char *tok, size_t len)
{
	const char *env = getenv("VIGIL_TOKEN");
	FILE *fp;

	if (!file) {
		if (!env || !*env) {
			fprintf(stderr, "vigil-clip: pull: no token: give -T TOKEN_FILE "
				"or set VIGIL_TOKEN\n");
			return -1;
		}
		snprintf(tok, len, "%s", env);
		return 0;
	}
	fp = fopen(file, "re");
	if (!fp || !fgets(tok, (int)len, fp)) {
		fprintf(stderr, "vigil-clip: pull: %s: %s\n", file,
			fp ? "empty" : strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	fclose(fp);
	tok[strcspn(tok, "\r\n")] = '\0';
	return 0;
}

static int cmd_pull(int argc, char **argv)
{
	const char *token_file = NULL;
	char tok[256], auth[300], tmp[PATH_MAX], *end;
	struct curl_slist *hdr = NULL;
	struct pull pl = { .fd = -1 };
	long seconds = 10, code = 0;
	struct opened o;
	struct out_file f;
	CURLcode cr;
	CURL *curl;
	int opt, rc = 1, ret;
	bool live;

	while ((opt = getopt(argc, argv, "T:t:")) != -1) {
		if (opt == 'T') {
			token_file = optarg;
		} else if (opt == 't') {
			seconds = strtol(optarg, &end, 10);
			if (*end || seconds < 1 || seconds > 86400)
				return die_usage("pull: -t takes 1..86400 seconds");
		} else {
			return die_usage("pull: unknown option");
		}
	}
	if (argc - optind != 2)
		return die_usage("pull [-T TOKEN_FILE] [-t SECONDS] URL OUT");
	if (pull_token(token_file, tok, sizeof(tok)))
		return 1;
	live = strstr(argv[optind], "/api/live") != NULL;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	explicit_bzero(tok, sizeof(tok));
	/* the download goes to OUT.download; OUT is written only from a valid clip */
	snprintf(tmp, sizeof(tmp), "%s.download", argv[optind + 1]);
	pl.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pl.fd < 0) {
		fprintf(stderr, "vigil-clip: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	hdr = curl_slist_append(NULL, auth);
	explicit_bzero(auth, sizeof(auth));
	if (!curl || !hdr) {
		fprintf(stderr, "vigil-clip: pull: cannot set up libcurl\n");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, argv[optind]);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pull_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &pl);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (live)
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, seconds);
	cr = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	/* a live stream ends when we stop it */
	if (cr != CURLE_OK && !(live && cr == CURLE_OPERATION_TIMEDOUT && pl.bytes)) {
		fprintf(stderr, "vigil-clip: pull %s: %s%s\n", argv[optind],
			pl.err ? strerror(pl.err) : curl_easy_strerror(cr),
			code == 401 ? " (check the token)" : "");
		goto out;
	}
	close(pl.fd);
	pl.fd = -1;
	rc = open_clip(tmp, NULL, &o);
	if (rc)
		goto out;
	if (vigil_clip_reader_status(o.r)->state == VIGIL_CLIP_COMPLETE) {
		close_clip(&o);
		if (rename(tmp, argv[optind + 1])) {
			fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind + 1], strerror(errno));
			rc = 1;
			goto out;
		}
		printf("%s: %llu bytes, a complete clip\n", argv[optind + 1],
		       (unsigned long long)pl.bytes);
		rc = 0;
		goto out;
	}
	/* a live stream (or a clip cut short): close it with an index */
	if (out_open(&f, argv[optind + 1])) {
		close_clip(&o);
		rc = 1;
		goto out;
	}
	ret = vigil_clip_reader_recover(o.r, fd_sink, &f.fd);
	if (ret)
		fprintf(stderr, "vigil-clip: %s: %s\n", argv[optind + 1], strerror(-ret));
	rc = out_close(&f, !ret) || ret ? 1 : 0;
	if (!rc)
		printf("%s: %u frames in %u groups%s\n", argv[optind + 1],
		       vigil_clip_reader_status(o.r)->frames,
		       vigil_clip_reader_status(o.r)->groups, live ? " from the live stream" : "");
	close_clip(&o);
out:
	if (pl.fd >= 0)
		close(pl.fd);
	unlink(tmp);
	curl_slist_free_all(hdr);
	if (curl)
		curl_easy_cleanup(curl);
	curl_global_cleanup();
	return rc;
}

/* END pull */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "keygen", cmd_keygen }, { "encode", cmd_encode },
		{ "info", cmd_info }, { "verify", cmd_verify },
		{ "export", cmd_export }, { "recover", cmd_recover },
		{ "decrypt", cmd_decrypt }, { "audit", cmd_audit },
		{ "pull", cmd_pull },
	};

	if (argc < 2)
		return die_usage("no command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "vigil-clip: unknown command '%s' (see vigil-clip --help)\n",
		argv[1]);
	return EXIT_USAGE;
}
