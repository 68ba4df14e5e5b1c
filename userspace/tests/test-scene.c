// SPDX-License-Identifier: GPL-2.0-or-later
/* Synthetic scenes: determinism, objects, PIR edges, file errors. */
#include <stdint.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

static char *t_write(const char *text)
{
	return t_tmpfile(text, strlen(text));
}

int main(void)
{
	struct vigil_scene s;
	struct vigil_pir_event ev[8];
	static uint8_t a[320 * 240], b[320 * 240];
	char err[256];
	char *path;
	int n, diff = 0;

	path = t_write("[scene]\nname = t\nframes = 40\nseed = 5\nnoise = 2\n"
		       "pir_latency = 2\npir_hold = 3\n"
		       "[item p]\nkind = person\nstart = 10\nend = 20\nfrom_x = 0\n"
		       "to_x = 200\ny = 50\nw = 40\nh = 100\ncontrast = -60\n"
		       "warm = yes\nalarm = yes\n"
		       "[item l]\nkind = light\nstart = 30\nend = 40\namount = 1.5\n");
	T_EQ(vigil_scene_load(&s, path, err, sizeof(err)), 0);
	t_rmfile(path);
	T_EQ(s.nitems, 2);
	T_EQ(s.items[0].kind, VIGIL_SCENE_PERSON);
	T_ASSERT(s.items[0].warm && s.items[0].alarm);
	T_EQ(s.items[1].kind, VIGIL_SCENE_LIGHT);
	T_ASSERT(!s.items[1].warm && !s.items[1].alarm);

	/* deterministic for a seed; noise differs between frames */
	T_EQ(vigil_scene_render(&s, 5, a), 0);
	T_EQ(vigil_scene_render(&s, 5, b), 0);
	T_ASSERT(!memcmp(a, b, sizeof(a)));
	T_EQ(vigil_scene_render(&s, 6, b), 0);
	T_ASSERT(memcmp(a, b, sizeof(a)));
	/* the person darkens its area at frame 10 (left edge at x = 0) */
	T_EQ(vigil_scene_render(&s, 10, b), 0);
	for (int y = 60; y < 140; y++)
		for (int x = 10; x < 30; x++)
			diff += a[y * 320 + x] - b[y * 320 + x];
	T_ASSERT(diff / (80 * 20) > 40);
	/* light: brighter on average */
	T_EQ(vigil_scene_render(&s, 35, b), 0);
	{
		long sa = 0, sb = 0;

		for (size_t i = 0; i < sizeof(a); i++) {
			sa += a[i];
			sb += b[i];
		}
		T_ASSERT(sb > sa * 13 / 10);
	}
	T_EQ(vigil_scene_render(&s, 40, b), -EINVAL);

	/* PIR: rises at start + latency, falls at end + hold */
	n = vigil_scene_pir(&s, ev, 8);
	T_EQ(n, 2);
	T_EQ(ev[0].level, 1);
	T_EQ(ev[0].frame_seq, 12);
	T_EQ(ev[0].ts_ns, 12 * 1000000000ULL / 15 + 3000000);
	T_EQ(ev[1].level, 0);
	T_EQ(ev[1].frame_seq, 23);
	T_EQ(vigil_scene_pir(&s, NULL, 0), 2);

	/* a path with a stop: the object stands still, then moves on */
	path = t_write("[scene]\nframes = 40\nnoise = 0\n[item p]\nkind = person\n"
		       "path = 0:10,50 10:100,50 30:100,50 39:200,50\nw = 20\nh = 40\n"
		       "contrast = -60\n");
	T_EQ(vigil_scene_load(&s, path, err, sizeof(err)), 0);
	t_rmfile(path);
	T_EQ(s.items[0].nwaypoints, 4);
	T_EQ(s.items[0].waypoints[2].frame, 30);
	{
		static uint8_t f1[320 * 240], f2[320 * 240];

		T_EQ(vigil_scene_render(&s, 12, f1), 0);
		T_EQ(vigil_scene_render(&s, 28, f2), 0);
		T_EQ(memcmp(f1, f2, sizeof(f1)), 0);	/* standing, no noise */
		T_EQ(vigil_scene_render(&s, 35, f2), 0);
		T_ASSERT(memcmp(f1, f2, sizeof(f1)) != 0);
		T_ASSERT(f1[70 * 320 + 110] < f2[70 * 320 + 110]);	/* it left */
	}
	path = t_write("[scene]\nframes = 40\n[item x]\nkind = person\npath = 5:1,1 5:2,2\n");
	T_EQ(vigil_scene_load(&s, path, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, ":5: bad value for key 'path'");
	t_rmfile(path);

	/* errors name the line */
	path = t_write("[scene]\nframes = 40\n[item x]\nkind = dragon\n");
	T_EQ(vigil_scene_load(&s, path, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, ":4: bad value for key 'kind'");
	t_rmfile(path);
	path = t_write("[scene]\nwidht = 40\n");
	T_EQ(vigil_scene_load(&s, path, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, ":2: unknown key 'widht'");
	t_rmfile(path);
	T_EQ(vigil_scene_load(&s, "/nonexistent.ini", err, sizeof(err)), -ENOENT);

	{
		enum vigil_scene_kind k;

		T_EQ(vigil_scene_kind_from_name("headlights", &k), 0);
		T_EQ(k, VIGIL_SCENE_HEADLIGHTS);
		T_ASSERT(!strcmp(vigil_scene_kind_name(VIGIL_SCENE_IR), "ir"));
	}
	return t_done();
}
