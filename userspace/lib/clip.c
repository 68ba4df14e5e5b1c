// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip container: writer (to a caller's sink) and reader (over a
 * caller's buffer), with optional owner-sealed encryption. The layout is
 * specified in docs/clip-format.md; keep the two in step.
 */
#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "libvigil.h"

#define MAGIC "VIGILCLP"
#define MAGIC_LEN 8
#define END_MAGIC "VIGILEND"

#define T_HEAD 0x44414548u	/* "HEAD" */
#define T_FRAM 0x4d415246u	/* "FRAM" */
#define T_EVNT 0x544e5645u	/* "EVNT" */
#define T_AUDI 0x49445541u	/* "AUDI" */
#define T_INDX 0x58444e49u	/* "INDX" */
#define T_FOOT 0x544f4f46u	/* "FOOT" */

#define CHUNK_HDR 8
#define CHUNK_SUM 8
#define CHUNK_MAX (64u << 20)	/* largest payload a reader accepts */

#define CLIP_ID_LEN 16
#define SEALED_LEN (crypto_secretstream_xchacha20poly1305_KEYBYTES + \
		    crypto_box_SEALBYTES)
#define HEAD_LEN (4 + 4 * 8 + 8 + VIGIL_CLIP_CAMERA_MAX + CLIP_ID_LEN + \
		  SEALED_LEN)
#define FRAM_FIXED 28		/* frame, group, flags, mono, wall */
#define SS_HDR crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define KEY_LEN crypto_secretstream_xchacha20poly1305_KEYBYTES
#define MAC_LEN 32
#define EV_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define EV_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define META_MAX (4 + 8 * VIGIL_MAX_BOXES)
#define EV_MAX (4 + 8 + 8 + 2 + 1 + 1 + 8 * VIGIL_MAX_BOXES + \
		9 * VIGIL_CLIP_MAX_PIR + EV_TRAILER)
#define EV_TRAILER 4		/* version 2: person, score, flags, reserved */
#define AUDI_FIXED 20		/* block, mono, rate, channels, format, reserved */
#define AUDI_MAX_BODY (2 * VIGIL_CLIP_AUDIO_MAX)
#define FLAG_SEALED 1u
#define FLAG_AUDIO 2u
#define IDX_ENTRY 24
#define FOOT_LEN 16
#define MAX_FRAMES (1u << 24)
#define MAX_EVENTS 65536

/* ---- little-endian helpers ------------------------------------------ */

static void le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *b, uint32_t v)
{
	le16(b, (uint16_t)v);
	le16(b + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *b, uint64_t v)
{
	le32(b, (uint32_t)v);
	le32(b + 4, (uint32_t)(v >> 32));
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t rd32(const uint8_t *b)
{
	return rd16(b) | (uint32_t)rd16(b + 2) << 16;
}

static uint64_t rd64(const uint8_t *b)
{
	return rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

/* Stored pixel format numbers: part of the file format, never reorder. */
static int fmt_to_file(enum vigil_pixfmt f)
{
	switch (f) {
	case VIGIL_FMT_GREY: return 1;
	case VIGIL_FMT_NV12: return 2;
	case VIGIL_FMT_I420: return 3;
	case VIGIL_FMT_YUYV: return 4;
	case VIGIL_FMT_NV21: return 5;
	case VIGIL_FMT_YV12: return 6;
	case VIGIL_FMT_UYVY: return 7;
	}
	return -EINVAL;
}

static int fmt_from_file(uint32_t v, enum vigil_pixfmt *f)
{
	static const enum vigil_pixfmt map[] = {
		VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_I420, VIGIL_FMT_YUYV,
		VIGIL_FMT_NV21, VIGIL_FMT_YV12, VIGIL_FMT_UYVY,
	};

	if (v < 1 || v > sizeof(map) / sizeof(map[0]))
		return -EBADMSG;
	*f = map[v - 1];
	return 0;
}

static uint16_t score_e4(double s)
{
	if (!(s > 0))
		return 0;
	if (s >= 1)
		return 10000;
	return (uint16_t)(s * 10000 + 0.5);
}

/* Detection summary: flags, nboxes, score, boxes. Returns bytes. */
static size_t meta_pack(const struct vigil_clip_frame_meta *m, uint8_t *b)
{
	const unsigned int n = m->nboxes > VIGIL_MAX_BOXES ? VIGIL_MAX_BOXES :
							     m->nboxes;

	b[0] = (uint8_t)(m->motion | m->raw_motion << 1 |
			 m->global_change << 2 | m->learning << 3);
	b[1] = (uint8_t)n;
	le16(b + 2, score_e4(m->score));
	for (unsigned int i = 0; i < n; i++) {
		le16(b + 4 + 8 * i, m->boxes[i].x);
		le16(b + 6 + 8 * i, m->boxes[i].y);
		le16(b + 8 + 8 * i, m->boxes[i].w);
		le16(b + 10 + 8 * i, m->boxes[i].h);
	}
	return 4 + 8 * (size_t)n;
}

static int meta_unpack(const uint8_t *b, size_t len,
		       struct vigil_clip_frame_meta *m, size_t *used)
{
	unsigned int n;

	if (len < 4 || (b[0] & 0xf0))
		return -EBADMSG;
	n = b[1];
	if (n > VIGIL_MAX_BOXES || len < 4 + 8 * (size_t)n || rd16(b + 2) > 10000)
		return -EBADMSG;
	m->motion = b[0] & 1;
	m->raw_motion = b[0] >> 1 & 1;
	m->global_change = b[0] >> 2 & 1;
	m->learning = b[0] >> 3 & 1;
	m->score = rd16(b + 2) / 10000.0;
	m->nboxes = n;
	for (unsigned int i = 0; i < n; i++) {
		m->boxes[i].x = rd16(b + 4 + 8 * i);
		m->boxes[i].y = rd16(b + 6 + 8 * i);
		m->boxes[i].w = rd16(b + 8 + 8 * i);
		m->boxes[i].h = rd16(b + 10 + 8 * i);
	}
	*used = 4 + 8 * (size_t)n;
	return 0;
}

static size_t event_pack(const struct vigil_clip_event *ev, uint8_t *b)
{
	const unsigned int nb = ev->nboxes > VIGIL_MAX_BOXES ? VIGIL_MAX_BOXES :
							       ev->nboxes;
	const unsigned int np = ev->npir > VIGIL_CLIP_MAX_PIR ?
				VIGIL_CLIP_MAX_PIR : ev->npir;
	size_t o = 24;

	le32(b, ev->type);
	le64(b + 4, ev->start_mono_ns);
	le64(b + 12, ev->end_mono_ns);
	le16(b + 20, score_e4(ev->score));
	b[22] = (uint8_t)nb;
	b[23] = (uint8_t)np;
	for (unsigned int i = 0; i < nb; i++, o += 8) {
		le16(b + o, ev->boxes[i].x);
		le16(b + o + 2, ev->boxes[i].y);
		le16(b + o + 4, ev->boxes[i].w);
		le16(b + o + 6, ev->boxes[i].h);
	}
	for (unsigned int i = 0; i < np; i++, o += 9) {
		le64(b + o, ev->pir[i].mono_ns);
		b[o + 8] = ev->pir[i].level;
	}
	b[o] = (uint8_t)(ev->person <= VIGIL_CLIP_PERSON_FAILED ? ev->person :
			 VIGIL_CLIP_PERSON_FAILED);
	b[o + 1] = (uint8_t)(ev->person_score <= 100 ? ev->person_score : 100);
	b[o + 2] = (uint8_t)(ev->flags & (VIGIL_CLIP_EV_CONTINUED | VIGIL_CLIP_EV_OPEN));
	b[o + 3] = 0;
	return o + EV_TRAILER;
}

static int event_unpack(const uint8_t *b, size_t len, unsigned int version,
			struct vigil_clip_event *ev)
{
	const size_t trailer = version >= 2 ? EV_TRAILER : 0;
	size_t o = 24;

	if (len < 24 + trailer)
		return -EBADMSG;
	memset(ev, 0, sizeof(*ev));
	ev->type = rd32(b);
	ev->start_mono_ns = rd64(b + 4);
	ev->end_mono_ns = rd64(b + 12);
	if (rd16(b + 20) > 10000 || b[22] > VIGIL_MAX_BOXES ||
	    b[23] > VIGIL_CLIP_MAX_PIR ||
	    len != 24 + 8 * (size_t)b[22] + 9 * (size_t)b[23] + trailer)
		return -EBADMSG;
	ev->score = rd16(b + 20) / 10000.0;
	ev->nboxes = b[22];
	ev->npir = b[23];
	for (unsigned int i = 0; i < ev->nboxes; i++, o += 8) {
		ev->boxes[i].x = rd16(b + o);
		ev->boxes[i].y = rd16(b + o + 2);
		ev->boxes[i].w = rd16(b + o + 4);
		ev->boxes[i].h = rd16(b + o + 6);
	}
	for (unsigned int i = 0; i < ev->npir; i++, o += 9) {
		if (b[o + 8] > 1)
			return -EBADMSG;
		ev->pir[i].mono_ns = rd64(b + o);
		ev->pir[i].level = b[o + 8];
	}
	if (!trailer)
		return 0;
	if (b[o] > VIGIL_CLIP_PERSON_FAILED || b[o + 1] > 100 ||
	    (b[o + 2] & ~(VIGIL_CLIP_EV_CONTINUED | VIGIL_CLIP_EV_OPEN)) ||
	    b[o + 3])
		return -EBADMSG;
	ev->person = b[o];
	ev->person_score = b[o + 1];
	ev->flags = b[o + 2];
	return 0;
}

/* Additional data of a sealed audio block: clip id + its public fields. */
static void audio_ad(const uint8_t *clip_id, const uint8_t *fixed, uint8_t *ad)
{
	memcpy(ad, clip_id, CLIP_ID_LEN);
	memcpy(ad + CLIP_ID_LEN, fixed, AUDI_FIXED);
}

/* Subkey of the clip key that authenticates the index. */
static void index_mac(const uint8_t *key, const uint8_t *clip_id,
		      const uint8_t *idx, size_t len, uint8_t *mac)
{
	uint8_t sub[32];
	crypto_generichash_state st;

	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, "vigilidx", key);
	crypto_generichash_init(&st, sub, sizeof(sub), MAC_LEN);
	crypto_generichash_update(&st, clip_id, CLIP_ID_LEN);
	crypto_generichash_update(&st, idx, len);
	crypto_generichash_final(&st, mac, MAC_LEN);
	sodium_memzero(sub, sizeof(sub));
}

/* Additional data of a sealed frame: clip id + its public fields. */
static void frame_ad(const uint8_t *clip_id, const uint8_t *fixed, uint8_t *ad)
{
	memcpy(ad, clip_id, CLIP_ID_LEN);
	memcpy(ad + CLIP_ID_LEN, fixed, FRAM_FIXED);
}

int vigil_clip_keygen(uint8_t pk[VIGIL_CLIP_PK_BYTES],
		      uint8_t sk[VIGIL_CLIP_SK_BYTES])
{
	if (sodium_init() < 0)
		return -EIO;
	return crypto_box_keypair(pk, sk) ? -EIO : 0;
}

/* ---- writer ---------------------------------------------------------- */

struct group {
	uint32_t first_frame, nframes;	/* frame numbers as stored */
	uint64_t offset, mono_ns;
	uint32_t pos;			/* reader: position of its keyframe */
};

struct vigil_clip_writer {
	vigil_clip_sink sink;
	void *arg;
	uint64_t bytes;
	uint32_t frames, events;
	struct group *groups;
	uint32_t ngroups, cap_groups;
	bool encrypted, closed;
	bool audio;		/* header says audio may follow */
	uint32_t blocks;	/* audio blocks written */
	unsigned int keyint;
	uint8_t clip_id[CLIP_ID_LEN];
	uint8_t key[KEY_LEN];
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t *buf;		/* chunk assembly */
	size_t cap;
	uint8_t *plain;		/* sealed frames: summary + encoded frame */
	size_t plain_cap;
	int error;		/* sticky sink error */
};

static int buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;

	if (need <= *cap)
		return 0;
	n = realloc(*buf, need);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = need;
	return 0;
}

/* Emit the chunk whose payload (@len bytes) is at w->buf + CHUNK_HDR. */
static int emit(struct vigil_clip_writer *w, uint32_t type, size_t len)
{
	int ret;

	assert(len <= CHUNK_MAX);
	le32(w->buf, type);
	le32(w->buf + 4, (uint32_t)len);
	le64(w->buf + CHUNK_HDR + len, XXH3_64bits(w->buf, CHUNK_HDR + len));
	ret = w->sink(w->arg, w->buf, CHUNK_HDR + len + CHUNK_SUM);
	if (ret) {
		w->error = ret;
		return ret;
	}
	w->bytes += CHUNK_HDR + len + CHUNK_SUM;
	return 0;
}

int vigil_clip_writer_new(const struct vigil_clip_header *h,
			  const uint8_t *owner_pk, vigil_clip_sink sink,
			  void *arg, struct vigil_clip_writer **out)
{
	struct vigil_clip_writer *w;
	uint8_t *p;
	int ret;

	ret = vigil_codec_params_check(&h->codec);
	if (ret)
		return ret;
	if (!h->fps_num || !h->fps_den || h->fps_num > 1000000 ||
	    h->fps_den > 1000000 || strlen(h->camera) > VIGIL_CLIP_CAMERA_MAX)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->sink = sink;
	w->arg = arg;
	w->encrypted = owner_pk != NULL;
	w->audio = h->audio;
	w->keyint = h->codec.keyint;
	randombytes_buf(w->clip_id, sizeof(w->clip_id));
	if (buf_reserve(&w->buf, &w->cap, 4096)) {
		free(w);
		return -ENOMEM;
	}
	ret = sink(arg, MAGIC, MAGIC_LEN);
	if (ret)
		goto err;
	w->bytes = MAGIC_LEN;
	p = w->buf + CHUNK_HDR;
	memset(p, 0, HEAD_LEN);
	le16(p, VIGIL_CLIP_VERSION);
	le16(p + 2, (w->encrypted ? FLAG_SEALED : 0) | (w->audio ? FLAG_AUDIO : 0));
	le32(p + 4, (uint32_t)fmt_to_file(h->codec.fmt));
	le32(p + 8, h->codec.width);
	le32(p + 12, h->codec.height);
	le32(p + 16, h->fps_num);
	le32(p + 20, h->fps_den);
	le32(p + 24, h->codec.codec ? h->codec.codec : VIGIL_CODEC_DEFAULT);
	le32(p + 28, h->codec.near);
	le32(p + 32, h->codec.keyint);
	le64(p + 36, h->created_wall_ns);
	memcpy(p + 44, h->camera, strlen(h->camera));
	memcpy(p + 44 + VIGIL_CLIP_CAMERA_MAX, w->clip_id, CLIP_ID_LEN);
	if (w->encrypted) {
		crypto_secretstream_xchacha20poly1305_keygen(w->key);
		if (crypto_box_seal(p + 44 + VIGIL_CLIP_CAMERA_MAX + CLIP_ID_LEN,
				    w->key, KEY_LEN, owner_pk)) {
			ret = -EINVAL;
			goto err;
		}
	}
	ret = emit(w, T_HEAD, HEAD_LEN);
	if (ret)
		goto err;
	*out = w;
	return 0;
err:
	vigil_clip_writer_free(w);
	return ret;
}

int vigil_clip_writer_frame(struct vigil_clip_writer *w, const void *data,
			    size_t len, const struct vigil_clip_frame_meta *m)
{
	const int key = vigil_codec_frame_is_key(data, len);
	struct vigil_clip_frame_meta none = { 0 };
	size_t need, o;
	uint8_t *p;
	int ret;

	if (w->closed || w->error)
		return w->error ? w->error : -EINVAL;
	if (key < 0 || (!w->frames && !key) || w->frames >= MAX_FRAMES)
		return -EINVAL;
	if (!key && w->groups[w->ngroups - 1].nframes >= w->keyint)
		return -EINVAL;
	if (!m)
		m = &none;
	need = CHUNK_HDR + FRAM_FIXED + SS_HDR + META_MAX + len + SS_ABYTES +
	       CHUNK_SUM;
	if (need - CHUNK_HDR - CHUNK_SUM > CHUNK_MAX)
		return -EFBIG;
	if (buf_reserve(&w->buf, &w->cap, need) ||
	    (w->encrypted &&
	     buf_reserve(&w->plain, &w->plain_cap, META_MAX + len)))
		return -ENOMEM;
	if (key) {
		if (w->ngroups == w->cap_groups) {
			const uint32_t n = w->cap_groups ? 2 * w->cap_groups : 64;
			struct group *g = realloc(w->groups, n * sizeof(*g));

			if (!g)
				return -ENOMEM;
			w->groups = g;
			w->cap_groups = n;
		}
		w->groups[w->ngroups++] = (struct group){
			.first_frame = w->frames, .offset = w->bytes,
			.mono_ns = m->mono_ns,
		};
	}
	p = w->buf + CHUNK_HDR;
	le32(p, w->frames);
	le32(p + 4, w->ngroups - 1);
	p[8] = key ? 1 : 0;
	p[9] = p[10] = p[11] = 0;
	le64(p + 12, m->mono_ns);
	le64(p + 20, m->wall_ns);
	o = FRAM_FIXED;
	if (!w->encrypted) {
		o += meta_pack(m, p + o);
		memcpy(p + o, data, len);
		o += len;
	} else {
		uint8_t ad[CLIP_ID_LEN + FRAM_FIXED], meta[META_MAX];
		const size_t ml = meta_pack(m, meta);
		unsigned long long clen;
		uint8_t *plain;

		plain = w->plain;
		if (key) {
			crypto_secretstream_xchacha20poly1305_init_push(&w->ss,
								p + o, w->key);
			o += SS_HDR;
		}
		memcpy(plain, meta, ml);
		memcpy(plain + ml, data, len);
		frame_ad(w->clip_id, p, ad);
		crypto_secretstream_xchacha20poly1305_push(&w->ss, p + o, &clen,
							   plain, ml + len, ad,
							   sizeof(ad), 0);
		o += clen;
	}
	ret = emit(w, T_FRAM, o);
	if (ret)
		return ret;
	w->groups[w->ngroups - 1].nframes++;
	w->frames++;
	return 0;
}

int vigil_clip_writer_event(struct vigil_clip_writer *w,
			    const struct vigil_clip_event *ev)
{
	uint8_t *p, body[EV_MAX];
	size_t n, o = 4;

	if (w->closed || w->error)
		return w->error ? w->error : -EINVAL;
	if (w->events >= MAX_EVENTS)
		return -EFBIG;
	if (buf_reserve(&w->buf, &w->cap, CHUNK_HDR + 4 + EV_NONCE + EV_MAX +
			EV_ABYTES + CHUNK_SUM))
		return -ENOMEM;
	n = event_pack(ev, body);
	p = w->buf + CHUNK_HDR;
	le32(p, w->events);
	if (!w->encrypted) {
		memcpy(p + o, body, n);
		o += n;
	} else {
		uint8_t ad[CLIP_ID_LEN + 4];
		unsigned long long clen;

		memcpy(ad, w->clip_id, CLIP_ID_LEN);
		memcpy(ad + CLIP_ID_LEN, p, 4);
		randombytes_buf(p + o, EV_NONCE);
		crypto_aead_xchacha20poly1305_ietf_encrypt(p + o + EV_NONCE, &clen,
							   body, n, ad, sizeof(ad),
							   NULL, p + o, w->key);
		o += EV_NONCE + clen;
	}
	if (emit(w, T_EVNT, o))
		return w->error;
	w->events++;
	return 0;
}

int vigil_clip_writer_audio(struct vigil_clip_writer *w, uint64_t mono_ns,
			    unsigned int rate, const int16_t *samples, size_t n)
{
	uint8_t *p, *body;
	size_t o = AUDI_FIXED;

	if (w->closed || w->error)
		return w->error ? w->error : -EINVAL;
	if (!w->audio || !n || n > VIGIL_CLIP_AUDIO_MAX || rate < 8000 ||
	    rate > 48000)
		return -EINVAL;
	if (w->blocks == UINT32_MAX)
		return -EFBIG;
	if (buf_reserve(&w->buf, &w->cap, CHUNK_HDR + AUDI_FIXED + EV_NONCE +
			AUDI_MAX_BODY + EV_ABYTES + CHUNK_SUM) ||
	    (w->encrypted &&
	     buf_reserve(&w->plain, &w->plain_cap, AUDI_MAX_BODY)))
		return -ENOMEM;
	p = w->buf + CHUNK_HDR;
	le32(p, w->blocks);
	le64(p + 4, mono_ns);
	le32(p + 12, rate);
	p[16] = 1;	/* channels */
	p[17] = 1;	/* S16LE */
	p[18] = p[19] = 0;
	body = w->encrypted ? w->plain : p + o;
	for (size_t i = 0; i < n; i++)
		le16(body + 2 * i, (uint16_t)samples[i]);
	if (!w->encrypted) {
		o += 2 * n;
	} else {
		uint8_t ad[CLIP_ID_LEN + AUDI_FIXED];
		unsigned long long clen;

		audio_ad(w->clip_id, p, ad);
		randombytes_buf(p + o, EV_NONCE);
		crypto_aead_xchacha20poly1305_ietf_encrypt(p + o + EV_NONCE, &clen,
							   body, 2 * n, ad, sizeof(ad),
							   NULL, p + o, w->key);
		o += EV_NONCE + clen;
	}
	if (emit(w, T_AUDI, o))
		return w->error;
	w->blocks++;
	return 0;
}

/* Index + footer, shared by the writer and recovery. */
static int write_tail(struct vigil_clip_writer *w, bool mac)
{
	const size_t n = 16 + (size_t)w->ngroups * IDX_ENTRY + MAC_LEN;
	const uint64_t idx_off = w->bytes;
	uint8_t *p;
	int ret;

	if (n > CHUNK_MAX)
		return -EFBIG;
	if (buf_reserve(&w->buf, &w->cap, CHUNK_HDR + n + CHUNK_SUM))
		return -ENOMEM;
	p = w->buf + CHUNK_HDR;
	le32(p, w->frames);
	le32(p + 4, w->ngroups);
	le32(p + 8, w->events);
	le32(p + 12, mac);
	for (uint32_t i = 0; i < w->ngroups; i++) {
		uint8_t *e = p + 16 + (size_t)i * IDX_ENTRY;

		le32(e, w->groups[i].first_frame);
		le32(e + 4, w->groups[i].nframes);
		le64(e + 8, w->groups[i].offset);
		le64(e + 16, w->groups[i].mono_ns);
	}
	if (mac)
		index_mac(w->key, w->clip_id, p, n - MAC_LEN, p + n - MAC_LEN);
	else
		memset(p + n - MAC_LEN, 0, MAC_LEN);
	ret = emit(w, T_INDX, n);
	if (ret)
		return ret;
	p = w->buf + CHUNK_HDR;
	le64(p, idx_off);
	memcpy(p + 8, END_MAGIC, 8);
	return emit(w, T_FOOT, FOOT_LEN);
}

int vigil_clip_writer_close(struct vigil_clip_writer *w)
{
	int ret;

	if (w->closed || w->error)
		return w->error ? w->error : -EINVAL;
	ret = write_tail(w, w->encrypted);
	w->closed = true;
	return ret;
}

uint64_t vigil_clip_writer_bytes(const struct vigil_clip_writer *w)
{
	return w->bytes;
}

void vigil_clip_writer_free(struct vigil_clip_writer *w)
{
	if (!w)
		return;
	sodium_memzero(w->key, sizeof(w->key));
	sodium_memzero(&w->ss, sizeof(w->ss));
	free(w->groups);
	if (w->plain)
		sodium_memzero(w->plain, w->plain_cap);
	free(w->plain);
	free(w->buf);
	free(w);
}

/* ---- reader ---------------------------------------------------------- */

struct frame_ref {
	uint64_t off;		/* payload offset */
	uint32_t len;		/* payload length */
	uint32_t group;
};

struct vigil_clip_reader {
	const uint8_t *buf;
	size_t len;
	struct vigil_clip_header h;
	struct vigil_clip_status st;
	uint8_t clip_id[CLIP_ID_LEN];
	uint8_t sealed[SEALED_LEN];
	uint8_t key[KEY_LEN];
	bool have_key;
	struct frame_ref *frames;
	uint64_t *events;	/* payload offsets; length in the chunk */
	uint64_t *blocks;	/* audio: chunk offsets */
	uint32_t nblocks_cap, last_block;
	bool any_block;
	uint8_t *aplain;	/* a sealed block's samples */
	size_t aplain_cap;
	struct group *groups;
	uint32_t nframes_cap, nevents_cap, ngroups_cap;
	struct seg {
		uint64_t start, end;
	} *segs;		/* runs of valid chunks after the header */
	uint32_t nsegs, nsegs_cap;
	uint32_t last_fno, last_g, last_ev;	/* of the last chunk kept */
	uint64_t head_end;	/* end of the header chunk */
	uint64_t resync_budget;	/* bytes resync may still hash */
	bool any_frame, any_event, damaged;
	uint32_t next;		/* next frame to read */
	bool stream_ok;		/* ss follows frame next - 1 */
	crypto_secretstream_xchacha20poly1305_state ss;
	struct vigil_decoder *dec;
	uint8_t *plain;
	size_t plain_cap;
	char err[160];
};

static int grow(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
	void *p;
	uint32_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	p = realloc(*arr, (size_t)c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/*
 * Check the chunk at @off: 0 with its type and payload length, or -EPIPE
 * (cut short) / -EBADMSG (length out of bounds, checksum wrong).
 */
static int chunk_at(const struct vigil_clip_reader *r, uint64_t off,
		    uint32_t *type, uint32_t *len)
{
	const uint64_t rest = r->len - off;
	uint32_t n;

	if (rest < CHUNK_HDR)
		return -EPIPE;
	n = rd32(r->buf + off + 4);
	if (n > CHUNK_MAX)
		return -EBADMSG;
	if (rest < (uint64_t)CHUNK_HDR + n + CHUNK_SUM)
		return -EPIPE;
	if (XXH3_64bits(r->buf + off, CHUNK_HDR + n) !=
	    rd64(r->buf + off + CHUNK_HDR + n))
		return -EBADMSG;
	*type = rd32(r->buf + off);
	*len = n;
	return 0;
}

static int parse_head(struct vigil_clip_reader *r, const uint8_t *p,
		      uint32_t len, const char **err)
{
	struct vigil_clip_header *h = &r->h;
	uint16_t flags;

	if (len != HEAD_LEN) {
		*err = "header chunk has the wrong size";
		return -EBADMSG;
	}
	if (rd16(p) != 1 && rd16(p) != 2) {
		*err = "unsupported clip version";
		return -EBADMSG;
	}
	h->version = rd16(p);
	/* version 2 adds the audio flag */
	flags = rd16(p + 2) & ~(h->version >= 2 ? FLAG_AUDIO : 0u);
	if (flags > 1 || fmt_from_file(rd32(p + 4), &h->codec.fmt) ||
	    !rd32(p + 24) || rd32(p + 24) > VIGIL_CODEC_MAX) {
		*err = "unknown flags, pixel format or codec in the header";
		return -EBADMSG;
	}
	h->encrypted = flags & FLAG_SEALED;
	h->audio = h->version >= 2 && (rd16(p + 2) & FLAG_AUDIO);
	h->codec.width = rd32(p + 8);
	h->codec.height = rd32(p + 12);
	h->fps_num = rd32(p + 16);
	h->fps_den = rd32(p + 20);
	h->codec.near = rd32(p + 28);
	h->codec.keyint = rd32(p + 32);
	h->codec.codec = rd32(p + 24);
	h->codec.level = 1;
	h->created_wall_ns = rd64(p + 36);
	if (vigil_codec_params_check(&h->codec) || !h->fps_num || !h->fps_den ||
	    h->fps_num > 1000000 || h->fps_den > 1000000) {
		*err = "frame size, codec parameters or frame rate out of bounds";
		return -EBADMSG;
	}
	memcpy(h->camera, p + 44, VIGIL_CLIP_CAMERA_MAX);
	h->camera[VIGIL_CLIP_CAMERA_MAX] = 0;
	for (size_t i = strlen(h->camera); i < VIGIL_CLIP_CAMERA_MAX; i++) {
		if (p[44 + i]) {
			*err = "camera id is not NUL-padded";
			return -EBADMSG;
		}
	}
	memcpy(r->clip_id, p + 44 + VIGIL_CLIP_CAMERA_MAX, CLIP_ID_LEN);
	memcpy(r->sealed, p + 44 + VIGIL_CLIP_CAMERA_MAX + CLIP_ID_LEN,
	       SEALED_LEN);
	return 0;
}

static void stop(struct vigil_clip_reader *r, enum vigil_clip_state s,
		 uint64_t off, const char *why)
{
	r->st.state = s;
	snprintf(r->st.detail, sizeof(r->st.detail), "at byte %llu: %s",
		 (unsigned long long)off, why);
}

/*
 * Check the index and footer at @off against what the scan found: 0,
 * -EPIPE (the file ends before the footer does) or -EBADMSG.
 */
static int tail_check(struct vigil_clip_reader *r, uint64_t off, uint32_t len)
{
	const uint8_t *p = r->buf + off + CHUNK_HDR;
	uint32_t ft, fl, n;
	int ret;

	if (len < 16 + MAC_LEN)
		return -EBADMSG;
	n = rd32(p + 4);
	if ((uint64_t)16 + (uint64_t)n * IDX_ENTRY + MAC_LEN != len ||
	    rd32(p) != r->st.frames || n != r->st.groups ||
	    rd32(p + 8) != r->st.events || rd32(p + 12) > 1 ||
	    (rd32(p + 12) && !r->h.encrypted))
		return -EBADMSG;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = p + 16 + (size_t)i * IDX_ENTRY;

		if (rd32(e) != r->groups[i].first_frame ||
		    rd32(e + 4) != r->groups[i].nframes ||
		    rd64(e + 8) != r->groups[i].offset)
			return -EBADMSG;
	}
	if (rd32(p + 12) && r->have_key) {
		uint8_t mac[MAC_LEN];

		index_mac(r->key, r->clip_id, p, len - MAC_LEN, mac);
		if (sodium_memcmp(mac, p + len - MAC_LEN, MAC_LEN))
			return -EBADMSG;
		r->st.index_authenticated = true;
	}
	off += CHUNK_HDR + len + CHUNK_SUM;
	ret = chunk_at(r, off, &ft, &fl);
	if (ret)
		return ret;
	if (ft != T_FOOT || fl != FOOT_LEN)
		return -EBADMSG;
	p = r->buf + off + CHUNK_HDR;
	if (rd64(p) != r->st.good_bytes || memcmp(p + 8, END_MAGIC, 8))
		return -EBADMSG;
	return off + CHUNK_HDR + fl + CHUNK_SUM == r->len ? 0 : -EBADMSG;
}

static int push_seg(struct vigil_clip_reader *r, uint64_t start, uint64_t end)
{
	if (end <= start)
		return 0;
	if (grow((void **)&r->segs, &r->nsegs_cap, r->nsegs, sizeof(*r->segs)))
		return -ENOMEM;
	r->segs[r->nsegs++] = (struct seg){ .start = start, .end = end };
	return 0;
}

/*
 * After damage at @off: the next keyframe chunk that is intact and follows
 * what was kept (a damaged chunk costs at most its group), or 0.
 */
static uint64_t resync(struct vigil_clip_reader *r, uint64_t off)
{
	for (uint64_t q = off + 1; q + CHUNK_HDR + FRAM_FIXED <= r->len; q++) {
		const uint8_t *p = r->buf + q + CHUNK_HDR;
		uint32_t type, len = rd32(r->buf + q + 4);

		if (rd32(r->buf + q) != T_FRAM || len < FRAM_FIXED + 4 ||
		    p[8] != 1 || p[9] || p[10] || p[11] ||
		    (r->any_frame &&
		     (rd32(p) <= r->last_fno || rd32(p + 4) <= r->last_g)))
			continue;
		/* bound the hashing a crafted file can cause */
		if (len > r->resync_budget)
			return 0;
		r->resync_budget -= len;
		if (!chunk_at(r, q, &type, &len))
			return q;
	}
	return 0;
}

/* Samples in an AUDI chunk of payload @len (checked by audio_check()). */
static uint32_t audio_samples(const struct vigil_clip_reader *r, uint32_t len)
{
	return (len - AUDI_FIXED - (r->h.encrypted ? EV_NONCE + EV_ABYTES : 0)) / 2;
}

/* An AUDI chunk's structure (payload @p, @len bytes): NULL or why not. */
static const char *audio_check(const struct vigil_clip_reader *r,
			       const uint8_t *p, uint32_t len)
{
	const uint32_t extra = r->h.encrypted ? EV_NONCE + EV_ABYTES : 0;
	uint32_t body;

	if (r->h.version < 2 || !r->h.audio)
		return "audio chunk in a clip without audio";
	if (len < AUDI_FIXED + extra + 2)
		return "audio chunk malformed";
	body = len - AUDI_FIXED - extra;
	if (body % 2 || body > AUDI_MAX_BODY || rd32(p + 12) < 8000 ||
	    rd32(p + 12) > 48000 || p[16] != 1 || p[17] != 1 || p[18] || p[19])
		return "audio chunk malformed";
	if (r->any_block && rd32(p) <= r->last_block)
		return "audio chunk out of sequence";
	return NULL;
}

/*
 * Walk the chunks after the header; record every valid frame and event.
 * Frame numbers rise by one inside a group; a keyframe may skip numbers
 * (groups lost to damage, or dropped by recover). After a damaged chunk
 * the scan resumes at the next intact keyframe.
 */
static int scan(struct vigil_clip_reader *r, uint64_t off)
{
	uint64_t seg_start = off;
	enum vigil_clip_state state;
	const char *why;

	for (;;) {
		uint32_t type, len;
		const uint8_t *p;
		int ret;

		if (!r->damaged)
			r->st.good_bytes = off;
		if (off == r->len) {
			state = VIGIL_CLIP_TRUNCATED;
			why = "no index and footer";
			break;
		}
		ret = chunk_at(r, off, &type, &len);
		if (ret == -EPIPE) {
			state = VIGIL_CLIP_TRUNCATED;
			why = "chunk cut short";
			break;
		}
		p = r->buf + off + CHUNK_HDR;
		why = NULL;
		if (ret) {
			why = "chunk length or checksum wrong";
		} else if (type == T_FRAM) {
			const uint32_t fno = len >= FRAM_FIXED ? rd32(p) : 0;
			const uint32_t g = len >= FRAM_FIXED ? rd32(p + 4) : 0;
			const bool key = len >= FRAM_FIXED && p[8] == 1;
			bool seq;

			if (key)
				seq = !r->any_frame ||
				      (fno > r->last_fno && g > r->last_g);
			else
				seq = r->any_frame && fno == r->last_fno + 1 &&
				      g == r->last_g &&
				      r->groups[r->st.groups - 1].nframes <
				      r->h.codec.keyint;
			if (len < FRAM_FIXED + 4 || !seq || p[8] > 1 || p[9] ||
			    p[10] || p[11] || fno >= MAX_FRAMES) {
				why = "frame chunk out of sequence or malformed";
			} else {
				if (key) {
					if (grow((void **)&r->groups, &r->ngroups_cap,
						 r->st.groups, sizeof(*r->groups)))
						return -ENOMEM;
					r->groups[r->st.groups++] = (struct group){
						.first_frame = fno, .offset = off,
						.mono_ns = rd64(p + 12),
						.pos = r->st.frames,
					};
				}
				if (grow((void **)&r->frames, &r->nframes_cap,
					 r->st.frames, sizeof(*r->frames)))
					return -ENOMEM;
				r->frames[r->st.frames++] = (struct frame_ref){
					.off = off + CHUNK_HDR, .len = len,
					.group = r->st.groups - 1,
				};
				r->groups[r->st.groups - 1].nframes++;
				r->last_fno = fno;
				r->last_g = g;
				r->any_frame = true;
			}
		} else if (type == T_EVNT) {
			if (len < 4 || (r->any_event && rd32(p) <= r->last_ev) ||
			    rd32(p) >= MAX_EVENTS) {
				why = "event chunk out of sequence or malformed";
			} else {
				if (grow((void **)&r->events, &r->nevents_cap,
					 r->st.events, sizeof(*r->events)))
					return -ENOMEM;
				r->events[r->st.events++] = off;
				r->last_ev = rd32(p);
				r->any_event = true;
			}
		} else if (type == T_AUDI) {
			why = audio_check(r, p, len);
			if (!why) {
				if (grow((void **)&r->blocks, &r->nblocks_cap,
					 r->st.audio_blocks, sizeof(*r->blocks)))
					return -ENOMEM;
				r->blocks[r->st.audio_blocks++] = off;
				r->st.audio_samples += audio_samples(r, len);
				r->last_block = rd32(p);
				r->any_block = true;
			}
		} else if (type == T_INDX) {
			if (push_seg(r, seg_start, off))
				return -ENOMEM;
			ret = tail_check(r, off, len);
			if (!ret && !r->damaged) {
				r->st.state = VIGIL_CLIP_COMPLETE;
				snprintf(r->st.detail, sizeof(r->st.detail),
					 "complete");
				return 0;
			}
			if (ret == -EPIPE && !r->damaged) {
				stop(r, VIGIL_CLIP_TRUNCATED, off, "footer cut short");
				return 0;
			}
			if (!r->damaged)
				stop(r, VIGIL_CLIP_DAMAGED, off,
				     "index or footer inconsistent with the chunks");
			r->st.state = VIGIL_CLIP_DAMAGED;
			return 0;
		} else {
			why = "unknown chunk type";
		}
		if (why) {
			if (push_seg(r, seg_start, off))
				return -ENOMEM;
			if (!r->damaged) {
				stop(r, VIGIL_CLIP_DAMAGED, off, why);
				r->damaged = true;
			}
			off = resync(r, off);
			if (!off) {
				r->st.state = VIGIL_CLIP_DAMAGED;
				return 0;
			}
			seg_start = off;
			continue;
		}
		off += CHUNK_HDR + (uint64_t)len + CHUNK_SUM;
	}
	if (push_seg(r, seg_start, off))
		return -ENOMEM;
	if (r->damaged)
		r->st.state = VIGIL_CLIP_DAMAGED;
	else
		stop(r, state, off, why);
	return 0;
}

int vigil_clip_reader_new(const void *buf, size_t len, const uint8_t *owner_pk,
			  const uint8_t *owner_sk, struct vigil_clip_reader **out,
			  const char **err)
{
	struct vigil_clip_reader *r;
	uint32_t type, hl;
	int ret;

	*err = "";
	if (sodium_init() < 0) {
		*err = "libsodium failed to initialise";
		return -EIO;
	}
	if (len < MAGIC_LEN || memcmp(buf, MAGIC, MAGIC_LEN)) {
		*err = "not a vigil clip (bad magic)";
		return -EBADMSG;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->buf = buf;
	r->len = len;
	ret = chunk_at(r, MAGIC_LEN, &type, &hl);
	if (ret || type != T_HEAD) {
		*err = ret == -EPIPE ? "clip cut inside its header" :
				       "header chunk missing or corrupt";
		ret = -EBADMSG;
		goto err;
	}
	ret = parse_head(r, r->buf + MAGIC_LEN + CHUNK_HDR, hl, err);
	if (ret)
		goto err;
	if (r->h.encrypted && owner_pk && owner_sk) {
		if (crypto_box_seal_open(r->key, r->sealed, SEALED_LEN, owner_pk,
					 owner_sk)) {
			*err = "this key cannot open the clip (wrong owner key)";
			ret = -EACCES;
			goto err;
		}
		r->have_key = true;
	}
	ret = vigil_decoder_new(&r->h.codec, &r->dec);
	if (ret) {
		*err = "cannot create the decoder";
		goto err;
	}
	r->head_end = MAGIC_LEN + CHUNK_HDR + (uint64_t)hl + CHUNK_SUM;
	r->resync_budget = 4 * (uint64_t)len + (1u << 20);
	ret = scan(r, r->head_end);
	if (ret) {
		*err = "out of memory";
		goto err;
	}
	*out = r;
	return 0;
err:
	vigil_clip_reader_free(r);
	return ret;
}

void vigil_clip_reader_free(struct vigil_clip_reader *r)
{
	if (!r)
		return;
	sodium_memzero(r->key, sizeof(r->key));
	sodium_memzero(&r->ss, sizeof(r->ss));
	vigil_decoder_free(r->dec);
	free(r->plain);
	free(r->segs);
	free(r->groups);
	free(r->events);
	free(r->blocks);
	if (r->aplain)
		sodium_memzero(r->aplain, r->aplain_cap);
	free(r->aplain);
	free(r->frames);
	free(r);
}

const struct vigil_clip_header *
vigil_clip_reader_header(const struct vigil_clip_reader *r)
{
	return &r->h;
}

const struct vigil_clip_status *
vigil_clip_reader_status(const struct vigil_clip_reader *r)
{
	return &r->st;
}

const char *vigil_clip_reader_error(const struct vigil_clip_reader *r)
{
	return r->err;
}

static int fail(struct vigil_clip_reader *r, int ret, const char *what,
		unsigned int n, const char *why)
{
	snprintf(r->err, sizeof(r->err), "%s %u: %s", what, n, why);
	return ret;
}

int vigil_clip_reader_next_encoded(struct vigil_clip_reader *r,
				   const void **data, size_t *len,
				   struct vigil_clip_frame_meta *m)
{
	const struct frame_ref *f;
	const uint8_t *p, *body;
	struct vigil_clip_frame_meta meta;
	size_t blen, used;
	bool key;
	int ret;

	if (r->next >= r->st.frames)
		return 1;
	if (r->h.encrypted && !r->have_key)
		return fail(r, -EACCES, "frame", r->next, "clip is sealed, no key");
	f = &r->frames[r->next];
	p = r->buf + f->off;
	key = p[8] == 1;
	body = p + FRAM_FIXED;
	blen = f->len - FRAM_FIXED;
	if (r->h.encrypted) {
		uint8_t ad[CLIP_ID_LEN + FRAM_FIXED];
		unsigned long long plen;
		unsigned char tag;

		if (key) {
			if (blen < SS_HDR ||
			    crypto_secretstream_xchacha20poly1305_init_pull(&r->ss,
									body, r->key))
				return fail(r, -EBADMSG, "frame", r->next,
					    "bad stream header");
			body += SS_HDR;
			blen -= SS_HDR;
			r->stream_ok = true;
		}
		if (!r->stream_ok)
			return fail(r, -EBADMSG, "frame", r->next,
				    "group not read from its start");
		if (blen < SS_ABYTES)
			return fail(r, -EBADMSG, "frame", r->next, "too short");
		if (blen > r->plain_cap) {
			uint8_t *n = realloc(r->plain, blen);

			if (!n)
				return -ENOMEM;
			r->plain = n;
			r->plain_cap = blen;
		}
		frame_ad(r->clip_id, p, ad);
		if (crypto_secretstream_xchacha20poly1305_pull(&r->ss, r->plain,
							       &plen, &tag, body,
							       blen, ad, sizeof(ad)) ||
		    tag != 0) {
			r->stream_ok = false;
			return fail(r, -EBADMSG, "frame", r->next,
				    "authentication failed (modified, reordered or wrong key)");
		}
		body = r->plain;
		blen = plen;
	}
	ret = meta_unpack(body, blen, &meta, &used);
	if (ret)
		return fail(r, ret, "frame", r->next, "bad detection summary");
	if (vigil_codec_frame_is_key(body + used, blen - used) != key)
		return fail(r, -EBADMSG, "frame", r->next, "keyframe flag mismatch");
	*data = body + used;
	*len = blen - used;
	meta.mono_ns = rd64(p + 12);
	meta.wall_ns = rd64(p + 20);
	if (m)
		*m = meta;
	r->next++;
	return 0;
}

int vigil_clip_reader_next(struct vigil_clip_reader *r, uint8_t *frame,
			   struct vigil_clip_frame_meta *m)
{
	const void *data;
	size_t len;
	int ret;

	ret = vigil_clip_reader_next_encoded(r, &data, &len, m);
	if (ret)
		return ret;
	ret = vigil_decoder_decode(r->dec, data, len, frame);
	if (ret) {
		r->next--;
		return fail(r, ret, "frame", r->next, "cannot decode");
	}
	return 0;
}

int vigil_clip_reader_seek_group(struct vigil_clip_reader *r, unsigned int g)
{
	if (g >= r->st.groups)
		return -ERANGE;
	r->next = r->groups[g].pos;
	r->stream_ok = false;
	vigil_decoder_reset(r->dec);
	return 0;
}

int vigil_clip_reader_event(struct vigil_clip_reader *r, unsigned int i,
			    struct vigil_clip_event *ev)
{
	const uint8_t *p;
	uint32_t len;

	if (i >= r->st.events)
		return -ERANGE;
	p = r->buf + r->events[i] + CHUNK_HDR;
	len = rd32(r->buf + r->events[i] + 4);
	if (r->h.encrypted) {
		uint8_t ad[CLIP_ID_LEN + 4], body[EV_MAX];
		unsigned long long n;

		if (!r->have_key)
			return fail(r, -EACCES, "event", i, "clip is sealed, no key");
		if (len < 4 + EV_NONCE + EV_ABYTES ||
		    len - 4 - EV_NONCE - EV_ABYTES > EV_MAX)
			return fail(r, -EBADMSG, "event", i, "malformed");
		memcpy(ad, r->clip_id, CLIP_ID_LEN);
		memcpy(ad + CLIP_ID_LEN, p, 4);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(body, &n, NULL,
				p + 4 + EV_NONCE, len - 4 - EV_NONCE, ad,
				sizeof(ad), p + 4, r->key))
			return fail(r, -EBADMSG, "event", i, "authentication failed");
		if (event_unpack(body, n, r->h.version, ev))
			return fail(r, -EBADMSG, "event", i, "malformed");
		return 0;
	}
	if (event_unpack(p + 4, len - 4, r->h.version, ev))
		return fail(r, -EBADMSG, "event", i, "malformed");
	return 0;
}

int vigil_clip_reader_audio(struct vigil_clip_reader *r, unsigned int i,
			    struct vigil_clip_audio *a, int16_t *samples)
{
	const uint8_t *p, *body;
	uint32_t len, n;

	if (i >= r->st.audio_blocks)
		return -ERANGE;
	p = r->buf + r->blocks[i] + CHUNK_HDR;
	len = rd32(r->buf + r->blocks[i] + 4);
	n = audio_samples(r, len);
	a->block = rd32(p);
	a->mono_ns = rd64(p + 4);
	a->rate = rd32(p + 12);
	a->nsamples = n;
	if (!samples)
		return 0;
	body = p + AUDI_FIXED;
	if (r->h.encrypted) {
		uint8_t ad[CLIP_ID_LEN + AUDI_FIXED];
		unsigned long long plen;

		if (!r->have_key)
			return fail(r, -EACCES, "audio block", i, "clip is sealed, no key");
		if (buf_reserve(&r->aplain, &r->aplain_cap, AUDI_MAX_BODY))
			return -ENOMEM;
		audio_ad(r->clip_id, p, ad);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(r->aplain, &plen, NULL,
				body + EV_NONCE, len - AUDI_FIXED - EV_NONCE, ad,
				sizeof(ad), body, r->key) || plen != 2 * (size_t)n)
			return fail(r, -EBADMSG, "audio block", i,
				    "authentication failed");
		body = r->aplain;
	}
	for (uint32_t k = 0; k < n; k++)
		samples[k] = (int16_t)rd16(body + 2 * k);
	return 0;
}

int vigil_clip_reader_recover(struct vigil_clip_reader *r,
			      vigil_clip_sink sink, void *arg)
{
	struct vigil_clip_writer w = {
		.sink = sink, .arg = arg, .frames = r->st.frames,
		.events = r->st.events, .ngroups = r->st.groups,
		.encrypted = r->h.encrypted,
	};
	const uint64_t head_end = r->head_end;
	uint32_t s = 0;
	int ret;

	/* the groups' offsets in the new file, which drops damaged runs */
	w.groups = malloc(((size_t)r->st.groups + 1) * sizeof(*w.groups));
	if (!w.groups)
		return -ENOMEM;
	for (uint32_t g = 0; g < r->st.groups; g++) {
		uint64_t shift = r->segs[0].start - head_end;

		w.groups[g] = r->groups[g];
		while (s + 1 < r->nsegs && r->groups[g].offset >= r->segs[s + 1].start)
			s++;
		for (uint32_t i = 1; i <= s; i++)
			shift += r->segs[i].start - r->segs[i - 1].end;
		w.groups[g].offset -= shift;
	}
	/* without the key a sealed clip's new index cannot carry a MAC */
	if (r->have_key)
		memcpy(w.key, r->key, KEY_LEN);
	memcpy(w.clip_id, r->clip_id, CLIP_ID_LEN);
	ret = sink(arg, r->buf, head_end);
	w.bytes = head_end;
	for (uint32_t i = 0; !ret && i < r->nsegs; i++) {
		ret = sink(arg, r->buf + r->segs[i].start,
			   r->segs[i].end - r->segs[i].start);
		w.bytes += r->segs[i].end - r->segs[i].start;
	}
	if (!ret)
		ret = write_tail(&w, r->have_key);
	sodium_memzero(w.key, sizeof(w.key));
	free(w.groups);
	free(w.buf);
	return ret;
}
