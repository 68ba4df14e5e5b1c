// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-clip end to end: keygen, encode (lossless, near-lossless, sealed),
 * info, verify (exit status), export Y4M byte-exact, recover a truncated
 * clip, decrypt, and clear errors with the documented exit status for bad
 * input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

static char tool[512], dir[64], out[8192];

/* XOR the byte at @off of @name (in dir) with 0xff: it always changes. */
static int flip_byte(const char *name, off_t off)
{
	char path[600];
	unsigned char b;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (pread(fd, &b, 1, off) == 1) {
		b ^= 0xff;
		if (pwrite(fd, &b, 1, off) == 1)
			ret = 0;
	}
	close(fd);
	return ret;
}

/* Run "vigil-clip ARGS" in dir; output in out[]; returns the exit status. */
__attribute__((format(printf, 1, 2)))
static int t_run(const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	FILE *fp;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd %s && %s %s 2>&1", dir, tool, args);
	fp = popen(cmd, "r");
	if (!fp)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = 0;
	st = pclose(fp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t t_size(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) ? 0 : (size_t)st.st_size;
}

/* A 64x48 mono Y4M of a scenario's first frames. */
static void t_make_y4m(const char *name, unsigned int frames)
{
	struct vigil_y4m_info info = { .width = 64, .height = 48, .fps_num = 10,
				       .fps_den = 1, .fmt = VIGIL_FMT_GREY,
				       .frame_size = 64 * 48 };
	uint64_t seed = 3;
	char p[256], hdr[128];
	uint8_t f[64 * 48];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	vigil_y4m_format_header(hdr, sizeof(hdr), &info);
	fputs(hdr, fp);
	for (unsigned int i = 0; i < frames; i++) {
		for (unsigned int k = 0; k < sizeof(f); k++)
			f[k] = (uint8_t)(k % 64 * 2 + (k / 64 > 20 && k % 64 > i) * 50 +
					 (t_rand(&seed) & 3));
		fputs("FRAME\n", fp);
		fwrite(f, 1, sizeof(f), fp);
	}
	fclose(fp);
}

/* ---- clip format version 2: events with person verdicts, audio --------- */

#define A_BLOCKS 3
#define A_LEN 1600
static int16_t pcm[A_BLOCKS * A_LEN];

static int t_file_sink(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -EIO;
}

/* @name: 4 frames, 3 audio blocks between them, 2 events; sealed to @pub. */
static void t_write_v2(const char *name, const char *pub)
{
	struct vigil_clip_header h = { .fps_num = 10, .fps_den = 1,
				       .camera = "v2", .audio = true };
	const struct vigil_clip_event ev[2] = {
		{ .type = 1, .start_mono_ns = 1000000000, .person = VIGIL_CLIP_PERSON_YES,
		  .person_score = 87, .flags = VIGIL_CLIP_EV_CONTINUED },
		{ .type = 2, .start_mono_ns = 1100000000, .end_mono_ns = 1200000000,
		  .person = VIGIL_CLIP_PERSON_NO, .person_score = 12,
		  .flags = VIGIL_CLIP_EV_OPEN },
	};
	uint8_t frame[64 * 48], enc[16384], pk[VIGIL_CLIP_PK_BYTES];
	struct vigil_clip_writer *w;
	struct vigil_encoder *e;
	uint64_t seed = 11;
	char p[256];
	FILE *fp;

	if (pub) {
		char line[128] = "";

		snprintf(p, sizeof(p), "%s/%s", dir, pub);
		fp = fopen(p, "r");
		T_ASSERT(fp && fgets(line, sizeof(line), fp));
		if (fp)
			fclose(fp);
		for (unsigned int i = 0; i < VIGIL_CLIP_PK_BYTES; i++) {
			unsigned int v = 0;

			T_EQ(sscanf(line + 10 + 2 * i, "%2x", &v), 1);
			pk[i] = (uint8_t)v;
		}
	}
	for (unsigned int i = 0; i < A_BLOCKS * A_LEN; i++)
		pcm[i] = (int16_t)(t_rand(&seed) & 0xffff);
	vigil_codec_params_default(&h.codec);
	h.codec.width = 64;
	h.codec.height = 48;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	T_ASSERT(fp);
	T_EQ(vigil_encoder_new(&h.codec, &e), 0);
	T_EQ(vigil_clip_writer_new(&h, pub ? pk : NULL, t_file_sink, fp, &w), 0);
	for (unsigned int i = 0; i < 4; i++) {
		struct vigil_clip_frame_meta m = { .mono_ns = 1000000000ull + i * 100000000ull };
		size_t len;

		memset(frame, (int)(i * 9), sizeof(frame));
		T_EQ(vigil_encoder_encode(e, frame, enc, sizeof(enc), &len, NULL), 0);
		T_EQ(vigil_clip_writer_frame(w, enc, len, &m), 0);
		if (i < A_BLOCKS)
			T_EQ(vigil_clip_writer_audio(w, m.mono_ns, 16000, pcm + i * A_LEN,
						     A_LEN), 0);
		if (i == 1 || i == 3)
			T_EQ(vigil_clip_writer_event(w, &ev[i / 2]), 0);
	}
	T_EQ(vigil_clip_writer_close(w), 0);
	vigil_clip_writer_free(w);
	vigil_encoder_free(e);
	fclose(fp);
}

/* Is @name a 16 kHz mono WAV of exactly pcm[]? */
static bool t_wav_is_pcm(const char *name)
{
	uint8_t b[44 + sizeof(pcm) + 1];
	char p[256];
	size_t n;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "r");
	if (!fp)
		return false;
	n = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	if (n != 44 + sizeof(pcm) || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVEfmt ", 8) ||
	    b[22] != 1 || (b[24] | b[25] << 8) != 16000 || b[34] != 16 ||
	    memcmp(b + 36, "data", 4))
		return false;
	for (size_t i = 0; i < A_BLOCKS * A_LEN; i++)
		if ((int16_t)(b[44 + 2 * i] | b[45 + 2 * i] << 8) != pcm[i])
			return false;
	return true;
}

/* Flip a byte inside the second audio block's samples (checksum fixed). */
static void t_flip_audio(const char *name)
{
	uint8_t *b;
	char p[256];
	size_t n, k = 0;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "r+");
	if (!fp)
		return;
	b = malloc(1 << 20);
	n = fread(b, 1, 1 << 20, fp);
	for (size_t off = 8; off + 16 <= n;) {
		const uint32_t len = b[off + 4] | b[off + 5] << 8 | b[off + 6] << 16 |
				     (uint32_t)b[off + 7] << 24;

		if (!memcmp(b + off, "AUDI", 4) && k++ == 1) {
			const uint64_t h = (b[off + 8 + 44] ^= 4, XXH3_64bits(b + off, 8 + len));

			for (int i = 0; i < 8; i++)
				b[off + 8 + len + i] = (uint8_t)(h >> (8 * i));
			break;
		}
		off += 16 + len;
	}
	rewind(fp);
	T_EQ(fwrite(b, 1, n, fp), n);
	fclose(fp);
	free(b);
}

static void test_v2(void)
{
	t_write_v2("a2.clip", NULL);
	T_EQ(t_run("info a2.clip"), 0);
	T_STRSTR(out, "version:   2");
	T_STRSTR(out, "audio:     3 blocks, 0.300 s at 16000 Hz");
	T_STRSTR(out, "event 0:   type 1");
	T_STRSTR(out, "person (score 87), continued from the previous clip\n");
	T_STRSTR(out, "no-person (score 12), still open at the end\n");
	T_EQ(t_run("verify a2.clip"), 0);
	T_STRSTR(out, "OK, 4 frames, 3 audio blocks");
	T_EQ(t_run("export --audio a2.wav a2.clip"), 0);
	T_ASSERT(t_wav_is_pcm("a2.wav"));
	T_EQ(t_run("export --audio a3.wav a2.clip a2.y4m"), 0);
	T_ASSERT(t_wav_is_pcm("a3.wav"));
	T_ASSERT(t_size("a2.y4m") > 4 * 64 * 48);
	/* a clip without audio says so */
	T_EQ(t_run("export --audio x.wav a.clip"), 1);
	T_STRSTR(out, "no audio");
	T_EQ(t_run("info a.clip"), 0);
	T_STRSTR(out, "audio:     none");
	T_EQ(t_run("export a2.clip"), 2);

	/* sealed: the owner's key opens the audio, no key or another does not */
	t_write_v2("s2.clip", "owner.pub");
	T_EQ(t_run("info s2.clip"), 0);
	T_STRSTR(out, "audio:     3 blocks, 0.300 s at 16000 Hz");
	T_EQ(t_run("export --audio s2.wav s2.clip"), 1);
	T_STRSTR(out, "give the owner key");
	T_EQ(t_run("export -K other.key --audio s2.wav s2.clip"), 1);
	T_ASSERT(!t_size("s2.wav"));
	T_EQ(t_run("export -K owner.key --audio s2.wav s2.clip"), 0);
	T_ASSERT(t_wav_is_pcm("s2.wav"));
	T_EQ(t_run("info -K owner.key s2.clip"), 0);
	T_STRSTR(out, "person (score 87), continued from the previous clip\n");
	T_EQ(t_run("verify -K owner.key s2.clip"), 0);
	T_STRSTR(out, "every frame authenticated, 3 audio blocks authenticated");
	T_EQ(t_run("decrypt -K owner.key s2.clip d2.clip"), 0);
	T_EQ(t_run("export --audio d2.wav d2.clip"), 0);
	T_ASSERT(t_wav_is_pcm("d2.wav"));
	T_EQ(t_run("info d2.clip"), 0);
	T_STRSTR(out, "no-person (score 12), still open at the end\n");
	/* a flipped sample byte: verify and export fail, nothing written */
	t_flip_audio("s2.clip");
	T_EQ(t_run("verify -K owner.key s2.clip"), 1);
	T_STRSTR(out, "audio block 1: authentication failed");
	T_EQ(t_run("export -K owner.key --audio f2.wav s2.clip"), 1);
	T_ASSERT(!t_size("f2.wav"));
	t_flip_audio("a2.clip");	/* plain: only the checksum guards it */
	T_EQ(t_run("export --audio f3.wav a2.clip"), 0);
	T_ASSERT(!t_wav_is_pcm("f3.wav"));
}

int main(void)
{
	char cmd[512];

	/* VIGIL_TOOLS: where the tools are installed (run-ptest) */
	if (getenv("VIGIL_TOOLS"))
		snprintf(tool, sizeof(tool), "%s/vigil-clip", getenv("VIGIL_TOOLS"));
	else if (t_builddir())
		snprintf(tool, sizeof(tool), "%s/tools/vigil-clip", t_builddir());
	else
		return T_SKIP;
	if (access(tool, X_OK)) {
		fprintf(stderr, "%s: %s\n", tool, strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-clip-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	t_make_y4m("in.y4m", 20);

	T_EQ(t_run("--help"), 0);
	T_STRSTR(out, "recover");
	T_EQ(t_run("keygen -o owner"), 0);
	T_EQ(t_run("keygen -o owner"), 1);	/* never overwrites a key */
	T_EQ(t_run("encode -k 5 -c porch in.y4m a.clip"), 0);
	T_STRSTR(out, "20 frames");
	T_EQ(t_run("info a.clip"), 0);
	T_STRSTR(out, "porch");
	T_STRSTR(out, "complete");
	T_STRSTR(out, "20 in 4 groups");
	T_EQ(t_run("verify a.clip"), 0);
	T_STRSTR(out, "OK, 20 frames");
	/* export is byte-exact with the source frames */
	T_EQ(t_run("export a.clip out.y4m"), 0);
	T_EQ(t_size("out.y4m") > 20 * 64 * 48, 1);
	snprintf(cmd, sizeof(cmd), "cd %s && tail -c %u in.y4m > a && "
		 "tail -c %u out.y4m > b && cmp -s a b", dir, 20 * (64 * 48 + 6),
		 20 * (64 * 48 + 6));
	T_EQ(system(cmd), 0);
	/* near-lossless is smaller */
	T_EQ(t_run("encode -n 2 in.y4m n.clip"), 0);
	T_ASSERT(t_size("n.clip") < t_size("a.clip"));
	/* truncated: verify says so, recover saves the complete frames */
	snprintf(cmd, sizeof(cmd), "cd %s && head -c %zu a.clip > t.clip", dir,
		 t_size("a.clip") / 2);
	T_EQ(system(cmd), 0);
	T_EQ(t_run("verify t.clip"), 1);
	T_STRSTR(out, "truncated");
	T_EQ(t_run("recover t.clip r.clip"), 0);
	T_STRSTR(out, "recovered");
	T_EQ(t_run("verify r.clip"), 0);
	/* sealed */
	T_EQ(t_run("encode -p owner.pub in.y4m s.clip"), 0);
	T_EQ(t_run("verify s.clip"), 0);
	T_STRSTR(out, "not authenticated");
	T_EQ(t_run("export s.clip x.y4m"), 1);
	T_STRSTR(out, "sealed");
	T_EQ(t_run("verify -K owner.key s.clip"), 0);
	T_STRSTR(out, "every frame authenticated");
	T_EQ(t_run("keygen -o other"), 0);
	T_EQ(t_run("verify -K other.key s.clip"), 1);
	T_STRSTR(out, "wrong owner key");
	T_EQ(t_run("decrypt -K owner.key s.clip d.clip"), 0);
	T_EQ(t_run("info d.clip"), 0);
	T_STRSTR(out, "sealed:    no");
	T_EQ(t_run("export d.clip d.y4m"), 0);
	T_EQ(t_size("d.y4m"), t_size("out.y4m"));
	/*
	 * a flipped byte in a sealed frame, checksum intact: damaged (XOR:
	 * overwriting it with a constant would change nothing 1 time in 256)
	 */
	snprintf(cmd, sizeof(cmd), "cd %s && cp s.clip f.clip", dir);
	T_EQ(system(cmd), 0);
	T_EQ(flip_byte("f.clip", (off_t)(t_size("s.clip") / 2)), 0);
	T_EQ(t_run("verify -K owner.key f.clip"), 1);
	T_STRSTR(out, "damaged");
	/* bad input: clear message, documented status */
	T_EQ(t_run("info in.y4m"), 2);
	T_STRSTR(out, "not a vigil clip");
	T_EQ(t_run("encode a.clip z.clip"), 1);
	T_STRSTR(out, "Y4M");
	T_EQ(t_run("encode -n 40 in.y4m z.clip"), 2);
	T_EQ(t_run("verify missing.clip"), 1);
	T_STRSTR(out, "No such file");
	T_EQ(t_run("frobnicate"), 2);
	T_EQ(t_run("encode -p in.y4m in.y4m z.clip"), 1);
	T_STRSTR(out, "not a vigil public");
	T_EQ(t_size("z.clip"), 0);

	/* audit: records printed, filtered by clip; a torn line is flagged */
	{
		char log[128], err[256];

		snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
		T_EQ(vigil_audit_append(log, "stream", "20261127T101500Z-0001",
					"192.0.2.7", err, sizeof(err)), 0);
		T_EQ(vigil_audit_append(log, "delete", "20261127T101600Z-0002",
					"retention", err, sizeof(err)), 0);
		T_EQ(t_run("audit audit.jsonl"), 0);
		T_STRSTR(out, "stream   20261127T101500Z-0001  192.0.2.7");
		T_STRSTR(out, "delete   20261127T101600Z-0002  retention");
		T_EQ(t_run("audit -i 20261127T101600Z-0002 audit.jsonl"), 0);
		T_ASSERT(!strstr(out, "192.0.2.7"));
		T_EQ(t_run("audit -i ../x audit.jsonl"), 2);
		T_EQ(t_run("audit missing.jsonl"), 1);
		snprintf(cmd, sizeof(cmd), "printf '{\"ts\":\"20' >>%s", log);
		T_EQ(system(cmd), 0);
		T_EQ(t_run("audit audit.jsonl"), 1);
		T_STRSTR(out, "audit.jsonl:3: not an audit record");
		T_STRSTR(out, "retention");
	}

	test_v2();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return t_done();
}
