// SPDX-License-Identifier: LGPL-2.1-or-later
/* Event JSON lines and the PIR side-file line parser. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"
#include "json-out.h"

static const char *const type_names[] = {
	[VIGIL_EVENT_START] = "start",
	[VIGIL_EVENT_UPDATE] = "update",
	[VIGIL_EVENT_END] = "end",
};

int vigil_event_json(const struct vigil_event *ev, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };

	if (!len)
		return -ENOSPC;
	if (ev->kind == VIGIL_KIND_AUDIO)
		return ev->audio ? vigil_audio_json(ev->audio, buf, len) : -EINVAL;
	if (ev->kind == VIGIL_KIND_TAMPER) {
		put(&o, "{\"event\":\"%s\",\"kind\":\"tamper\",\"id\":%u,"
			"\"ts_ns\":%llu,\"frame\":%u,\"start_ns\":%llu",
		    type_names[ev->type], ev->id, (unsigned long long)ev->ts_ns,
		    ev->frame, (unsigned long long)ev->start_ns);
		if (ev->type == VIGIL_EVENT_END)
			put(&o, ",\"end_ns\":%llu,\"duration_ms\":%.1f",
			    (unsigned long long)ev->end_ns,
			    (double)(int64_t)(ev->end_ns - ev->start_ns) / 1e6);
		put(&o, ",\"cause\":\"%s\"}\n", ev->covered ? "covered" : "moved");
		return o.full ? -ENOSPC : (int)o.pos;
	}
	put(&o, "{\"event\":\"%s\",\"id\":%u,\"ts_ns\":%llu,\"frame\":%u,"
		"\"policy\":\"%s\",\"start_ns\":%llu",
	    type_names[ev->type], ev->id, (unsigned long long)ev->ts_ns,
	    ev->frame, vigil_policy_name(ev->policy),
	    (unsigned long long)ev->start_ns);
	if (ev->type == VIGIL_EVENT_END)
		put(&o, ",\"end_ns\":%llu,\"duration_ms\":%.1f",
		    (unsigned long long)ev->end_ns,
		    (double)(int64_t)(ev->end_ns - ev->start_ns) / 1e6);
	put(&o, ",\"score\":%.4f,\"max_score\":%.4f,\"area\":%u,"
		"\"motion_frames\":%u,\"boxes\":[",
	    ev->score, ev->max_score, ev->area, ev->motion_frames);
	for (unsigned int i = 0; i < ev->nboxes && i < VIGIL_MAX_BOXES; i++)
		put(&o, "%s[%u,%u,%u,%u]", i ? "," : "", ev->boxes[i].x,
		    ev->boxes[i].y, ev->boxes[i].w, ev->boxes[i].h);
	put(&o, "],\"pir\":");
	if (ev->pir_valid)
		put(&o, "{\"ts_ns\":%llu,\"level\":%d,\"delta_ms\":%.1f,"
			"\"count\":%u,\"lost\":%u}",
		    (unsigned long long)ev->pir_ts_ns, ev->pir_level,
		    (double)ev->pir_delta_ns / 1e6, ev->pir_count,
		    ev->pir_lost);
	else
		put(&o, "null");
	if (ev->glass_valid)
		put(&o, ",\"glass_break\":{\"ts_ns\":%llu}",
		    (unsigned long long)ev->glass_ts_ns);
	if (ev->person != VIGIL_PERSON_NONE)
		put(&o, ",\"person\":{\"verdict\":\"%s\",\"score\":%.3f}",
		    vigil_person_verdict_name((enum vigil_person_verdict)ev->person),
		    ev->person_score);
	put(&o, "}\n");
	return o.full ? -ENOSPC : (int)o.pos;
}

int vigil_pir_parse_line(const char *line, struct vigil_pir_event *ev)
{
	const char *p = line;
	char *end;
	double t;
	long level;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	errno = 0;
	t = strtod(p, &end);
	if (end == p || errno || !(t >= 0) || t > 1e9 || (*end != ' ' && *end != '\t'))
		return -EINVAL;
	p = end;
	level = strtol(p, &end, 10);
	if (end == p || (level != 0 && level != 1))
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end && *end != '#')
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = (uint64_t)llround(t * 1e9);
	ev->level = (int)level;
	return 1;
}
