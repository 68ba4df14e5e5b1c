// SPDX-License-Identifier: GPL-2.0-or-later
/* Configuration: defaults, INI loading, errors naming key and line. */
#include <stdint.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

int main(void)
{
	struct vigil_config c;
	char err[256], path[512];
	const char *why;

	vigil_config_default(&c);
	T_EQ(c.fusion.policy, VIGIL_POLICY_PIR_AND_VIDEO);
	T_ASSERT(!strcmp(c.events, "-"));
	T_EQ(vigil_detect_params_check(&c.detect), 0);

	T_EQ(vigil_config_load_string(&c,
		"; comment\n"
		"[source]\n"
		"source = replay:/tmp/x.y4m\n"
		"loop = yes\n"
		"realtime = no\n"
		"format = nv12\n"
		"\n"
		"[detector]\n"
		"background_s = 0.5   ; inline comment\n"
		"min_blob_px = 120\n"
		"zone = 0,0,0.5,1\n"
		"zone = 0.5,0,0.5,0.5, 2\n"
		"polygon = 0,0 1,0 0.5,1 / 0.5\n"
		"ignore = 0.9,0.9,0.1,0.1\n"
		"[fusion]\n"
		"policy = video-only\n"
		"window_ms = 250\n"
		"[output]\n"
		"events = /var/log/vigil/events.jsonl\n",
		"test.conf", err, sizeof(err)), 0);
	T_ASSERT(!strcmp(c.source, "replay:/tmp/x.y4m"));
	T_EQ(c.loop, 1);
	T_EQ(c.realtime, 0);
	T_EQ(c.pixfmt, VIGIL_FMT_NV12);
	T_ASSERT(c.detect.background_s == 0.5);
	T_EQ(c.detect.min_blob_px, 120);
	T_EQ(c.detect.nzones, 2);
	T_ASSERT(c.detect.zones[1].x == 0.5f && c.detect.zones[1].h == 0.5f);
	T_ASSERT(c.detect.zones[0].sensitivity == 0 && c.detect.zones[1].sensitivity == 2);
	T_EQ(c.detect.npolygons, 1);
	T_EQ(c.detect.polygons[0].npoints, 3);
	T_ASSERT(c.detect.polygons[0].x[2] == 0.5f && c.detect.polygons[0].sensitivity == 0.5f);
	T_EQ(c.detect.nignore, 1);
	T_EQ(c.fusion.policy, VIGIL_POLICY_VIDEO_ONLY);
	T_EQ(c.fusion.window_ns, 250000000ULL);
	T_ASSERT(!strcmp(c.events, "/var/log/vigil/events.jsonl"));

	/* unknown key: named, with its line */
	vigil_config_default(&c);
	T_EQ(vigil_config_load_string(&c, "[source]\nloop = no\n\n[detector]\nlearnin_rate = 0.1\n",
				      "a.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "a.conf:5:");
	T_STRSTR(err, "unknown key 'learnin_rate'");
	/* bad value: key, value and reason */
	T_EQ(vigil_config_load_string(&c, "[fusion]\n\npolicy = always\n",
				      "b.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "b.conf:3:");
	T_STRSTR(err, "'policy'");
	T_STRSTR(err, "'always'");
	T_EQ(vigil_config_load_string(&c, "[detector]\nbackground_s = 0\n",
				      "c.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "c.conf:2:");
	T_STRSTR(err, "out of range");
	T_EQ(vigil_config_load_string(&c, "[detector]\nlearning_rate = 0.04\n",
				      "o.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "o.conf:2: unknown key 'learning_rate' in section [detector]: "
		      "replaced by background_s, a time constant in seconds");
	T_EQ(vigil_config_load_string(&c, "[detector]\npolygon = 0,0 1,0\n",
				      "p.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "p.conf:2:");
	T_STRSTR(err, "3 to 16 points");
	T_EQ(vigil_config_load_string(&c, "[detector]\nignore = 0,0,0.5,1,2\n",
				      "i.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "'ignore'");
	T_EQ(vigil_config_load_string(&c, "[detector]\nmask_file = /nonexistent.pgm\n",
				      "m.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "cannot open the mask: No such file or directory");
	T_EQ(vigil_config_load_string(&c, "[source]\nbuffers = -3\n",
				      "d.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "'buffers'");
	T_EQ(vigil_config_load_string(&c, "[detector]\nzone = 0.5,0.5,0.6,0.1\n",
				      "e.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "'zone'");
	T_EQ(vigil_config_load_string(&c, "[nosuch]\nkey = 1\n",
				      "f.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "f.conf:2: unknown key 'key' in section [nosuch]");
	/* syntax error line */
	T_EQ(vigil_config_load_string(&c, "[source]\nloop = yes\nwhat is this\n",
				      "g.conf", err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "g.conf:3: syntax error");
	/* inconsistent: cell smaller than row_step, or not a power of two */
	vigil_config_default(&c);
	T_EQ(vigil_config_load_string(&c, "[detector]\ncell = 12\n",
				      "h.conf", err, sizeof(err)), -EINVAL);

	/* direct setter used for CLI overrides */
	vigil_config_default(&c);
	T_EQ(vigil_config_set(&c, "fusion", "policy", "pir-only", &why), 0);
	T_EQ(c.fusion.policy, VIGIL_POLICY_PIR_ONLY);
	T_EQ(vigil_config_set(&c, "fusion", "nope", "1", &why), -ENOENT);
	T_EQ(vigil_config_set(&c, "source", "loop", "maybe", &why), -EINVAL);
	T_STRSTR(why, "yes or no");
	T_EQ(vigil_config_set(&c, "source", "fps", "12x", &why), -EINVAL);

	/* BEGIN [record] (issue #8) */
	vigil_config_default(&c);
	T_EQ(c.record.dir[0], 0);		/* recording off by default */
	T_ASSERT(c.record.armed);
	T_EQ(c.record.preroll_bytes, 64ULL << 20);
	T_EQ(vigil_config_set(&c, "record", "max_bytes", "10000000000", &why), 0);
	T_EQ(c.record.max_bytes, 10000000000ULL);
	T_EQ(vigil_config_set(&c, "record", "preroll_bytes", "1000", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "record", "near", "17", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "record", "armed", "no", &why), 0);
	T_ASSERT(!c.record.armed);
	T_EQ(vigil_config_set(&c, "record", "dir", "/tmp/clips", &why), 0);
	T_ASSERT(c.record.colour);
	T_EQ(vigil_config_set(&c, "record", "colour", "no", &why), 0);
	T_ASSERT(!c.record.colour);
	/* END [record] */
	/* [mqtt], [push] (issue #9) */
	vigil_config_default(&c);
	T_EQ(c.mqtt.port, 1883);
	T_ASSERT(c.mqtt.discovery);
	T_ASSERT(!strcmp(c.mqtt.discovery_prefix, "homeassistant"));
	T_ASSERT(!c.mqtt.host[0] && !c.push.url[0]);	/* both off by default */
	T_EQ(vigil_config_set(&c, "mqtt", "port", "0", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "mqtt", "port", "8883", &why), 0);
	T_EQ(c.mqtt.port, 8883);
	T_EQ(vigil_config_set(&c, "mqtt", "discovery", "no", &why), 0);
	T_ASSERT(!c.mqtt.discovery);
	T_EQ(vigil_config_set(&c, "mqtt", "queue", "0", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "push", "url", "https://h/p/", &why), 0);
	T_ASSERT(!strcmp(c.push.url, "https://h/p/"));
	T_EQ(vigil_config_set(&c, "push", "retry_min_ms", "5", &why), -EINVAL);
	T_EQ(vigil_config_set(&c, "push", "nope", "1", &why), -ENOENT);

	/* the shipped example is complete and valid */
	snprintf(path, sizeof(path), "%s/userspace/vigild.conf.example", t_srcdir());
	vigil_config_default(&c);
	if (access(path, R_OK)) {
		fprintf(stderr, "%s: not found, not checked\n", path);
	} else {
		static const char *const keys[] = {
			"source", "io", "drm_device", "buffers", "width", "height",
			"format", "fps", "realtime", "loop", "pir_events",
			"reconnect_ms", "cell", "row_step", "background_s",
			"hold_s", "deviation_s", "noise_k", "threshold_min",
			"min_blob_px", "min_area", "min_motion_s", "global_change",
			"relearn_s", "warmup_s", "tamper_s", "zone", "polygon",
			"mask_file",
			"ignore", "policy", "window_ms", "gap_ms", "update_ms",
			"pir_hold_ms", "events", "stats",
			"sched_fifo", "cpu_affinity", "mlockall",
			/* [audio] */
			"device", "loud_margin_db", "loud_min_dbfs",
			"floor_percentile", "floor_window_ms",
		};
		static char text[16384];
		FILE *fp = fopen(path, "r");
		const size_t n = fread(text, 1, sizeof(text) - 1, fp);

		fclose(fp);
		text[n] = '\0';
		if (vigil_config_load(&c, path, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			t_failures++;
		}
		/* every key is shown, set or commented out */
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			char k[64];
			const char *const *v = (const char *const[]){ "\n", "\n#" };

			for (int j = 0; j < 2; j++) {
				snprintf(k, sizeof(k), "%s%s = ", v[j], keys[i]);
				if (strstr(text, k))
					break;
				if (j == 1) {
					fprintf(stderr, "key %s missing from %s\n", keys[i], path);
					t_failures++;
				}
			}
			/* and the library knows it */
			T_ASSERT(vigil_config_set(&c, "source", keys[i], "x", NULL) != -ENOENT ||
				 vigil_config_set(&c, "detector", keys[i], "x", NULL) != -ENOENT ||
				 vigil_config_set(&c, "fusion", keys[i], "x", NULL) != -ENOENT ||
				 vigil_config_set(&c, "output", keys[i], "x", NULL) != -ENOENT ||
				 vigil_config_set(&c, "daemon", keys[i], "x", NULL) != -ENOENT ||
				 vigil_config_set(&c, "audio", keys[i], "x", NULL) != -ENOENT);
		}
	}
	T_EQ(vigil_config_load(&c, "/nonexistent/vigild.conf", err, sizeof(err)), -ENOENT);
	T_STRSTR(err, "cannot open");
	/* a directory is not an empty configuration */
	{
		char dir[] = "/tmp/vigil-confdir-XXXXXX";

		T_ASSERT(mkdtemp(dir));
		T_EQ(vigil_config_load(&c, dir, err, sizeof(err)), -EISDIR);
		T_STRSTR(err, "is a directory, expected an INI file");
		rmdir(dir);
	}
	return t_done();
}
