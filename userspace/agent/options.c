// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's command line: the configuration file first, then every flag
 * over it (each flag is a configuration key, so both share one checker).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigild.h"

#define VIGILD_VERSION "0.1"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigild [options]\n"
"  -c, --config FILE        INI configuration (see vigild.conf.example)\n"
"  -s, --source SRC         replay:FILE or v4l2:/dev/videoN\n"
"  -e, --events PATH        event JSON lines to PATH ('-' = stdout)\n"
"  -p, --policy POLICY      pir-and-video, video-only, pir-only or\n"
"                           person-confirmed\n"
"      --pir-events FILE    replay: PIR edges, '<seconds> <0|1>' per line\n"
"      --loop               replay: start again at the end of the file\n"
"      --fast               replay as fast as possible\n"
"      --realtime           replay at the file's frame rate (default)\n"
"      --io mmap|dmabuf     v4l2 buffer memory\n"
"      --drm-device PATH    DRM device for dmabuf (vgem in the VM)\n"
"      --size WxH           v4l2 format request, or raw replay size\n"
"      --format FMT         auto (v4l2 default), GREY, NV12, NV21, I420, YV12,\n"
"                           YUYV or UYVY\n"
"      --pir-gpio [CHIP:]LINE  PIR on a gpiochip line (offset or name)\n"
"      --fps N              v4l2 frame rate request, or raw replay rate\n"
"      --set SEC.KEY=VAL    set any configuration key (repeatable)\n"
"      --stats              print statistics to stderr at exit\n"
"      --trace FILE         per-frame detection and PIR edges as JSON lines\n"
"      --check-config       load the configuration and exit\n"
"      --sched-fifo PRIO    run at SCHED_FIFO priority PRIO ([daemon] sched_fifo)\n"
"      --cpu-affinity LIST  run on the CPUs of LIST, e.g. 0,2-3\n"
"      --mlockall           lock all memory (mlockall)\n"
"      --rotate-token       write a new HTTP API token to [http] token_file\n"
"                           and exit\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n"
"exit status: 0 stopped or replay ended, 1 runtime error, 2 usage or\n"
"configuration error, 3 the hardware cannot do what is configured\n");
}

enum {
	OPT_PIR = 256, OPT_LOOP, OPT_FAST, OPT_REALTIME, OPT_IO, OPT_DRM,
	OPT_SIZE, OPT_FORMAT, OPT_FPS, OPT_SET, OPT_STATS, OPT_CHECK, OPT_TRACE,
	OPT_PIR_GPIO,
	OPT_SCHED_FIFO, OPT_CPU_AFFINITY, OPT_MLOCKALL,	/* [daemon], issue 13 */
	OPT_ROTATE_TOKEN,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "source", required_argument, NULL, 's' },
	{ "events", required_argument, NULL, 'e' },
	{ "policy", required_argument, NULL, 'p' },
	{ "pir-events", required_argument, NULL, OPT_PIR },
	{ "pir-gpio", required_argument, NULL, OPT_PIR_GPIO },
	{ "loop", no_argument, NULL, OPT_LOOP },
	{ "fast", no_argument, NULL, OPT_FAST },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "io", required_argument, NULL, OPT_IO },
	{ "drm-device", required_argument, NULL, OPT_DRM },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "fps", required_argument, NULL, OPT_FPS },
	{ "set", required_argument, NULL, OPT_SET },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "sched-fifo", required_argument, NULL, OPT_SCHED_FIFO },
	{ "cpu-affinity", required_argument, NULL, OPT_CPU_AFFINITY },
	{ "mlockall", no_argument, NULL, OPT_MLOCKALL },
	{ "rotate-token", no_argument, NULL, OPT_ROTATE_TOKEN },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int set_opt(struct vigil_config *c, const char *section,
		   const char *key, const char *value, const char *flag)
{
	const char *why;
	int ret = vigil_config_set(c, section, key, value, &why);

	if (ret)
		fprintf(stderr, "vigild: %s '%s': %s\n", flag, value, why);
	return ret;
}

/* Apply one command-line option over the configuration. */
static int apply_opt(struct vigil_config *c, int opt, char *arg,
		     struct options *o)
{
	char *dot, *eq, *x;

	switch (opt) {
	case 's': return set_opt(c, "source", "source", arg, "--source");
	case 'e': return set_opt(c, "output", "events", arg, "--events");
	case 'p': return set_opt(c, "fusion", "policy", arg, "--policy");
	case OPT_PIR: return set_opt(c, "source", "pir_events", arg, "--pir-events");
	case OPT_LOOP: c->loop = true; return 0;
	case OPT_FAST: c->realtime = false; return 0;
	case OPT_REALTIME: c->realtime = true; return 0;
	case OPT_IO: return set_opt(c, "source", "io", arg, "--io");
	case OPT_DRM: return set_opt(c, "source", "drm_device", arg, "--drm-device");
	case OPT_FORMAT: return set_opt(c, "source", "format", arg, "--format");
	case OPT_FPS: return set_opt(c, "source", "fps", arg, "--fps");
	case OPT_STATS: o->stats = true; return 0;
	case OPT_CHECK: o->check = true; return 0;
	case OPT_ROTATE_TOKEN: o->rotate_token = true; return 0;
	case OPT_TRACE: o->trace = arg; return 0;
	case OPT_SCHED_FIFO: return set_opt(c, "daemon", "sched_fifo", arg, "--sched-fifo");
	case OPT_CPU_AFFINITY:
		return set_opt(c, "daemon", "cpu_affinity", arg, "--cpu-affinity");
	case OPT_MLOCKALL: c->mlockall = true; return 0;
	case OPT_PIR_GPIO:
		/* [CHIP:]LINE; a chip path may hold no ':' */
		x = strrchr(arg, ':');
		if (x)
			*x = '\0';
		if (set_opt(c, "pir", "source", "gpio", "--pir-gpio") ||
		    set_opt(c, "pir", "chip", x ? arg : "", "--pir-gpio") ||
		    set_opt(c, "pir", "line", x ? x + 1 : arg, "--pir-gpio"))
			return -EINVAL;
		return 0;
	case OPT_SIZE:
		x = strchr(arg, 'x');
		if (!x) {
			fprintf(stderr, "vigild: --size '%s': expected WxH\n", arg);
			return -EINVAL;
		}
		*x = '\0';
		if (set_opt(c, "source", "width", arg, "--size") ||
		    set_opt(c, "source", "height", x + 1, "--size"))
			return -EINVAL;
		return 0;
	case OPT_SET:
		dot = strchr(arg, '.');
		eq = strchr(arg, '=');
		if (!dot || !eq || dot > eq) {
			fprintf(stderr, "vigild: --set '%s': expected SECTION.KEY=VALUE\n", arg);
			return -EINVAL;
		}
		{
			char flag[128];

			*dot = *eq = '\0';
			snprintf(flag, sizeof(flag), "--set %s.%s", arg, dot + 1);
			return set_opt(c, arg, dot + 1, eq + 1, flag) ? -EINVAL : 0;
		}
	}
	return -EINVAL;
}

int options_parse(int argc, char **argv, struct vigil_config *c,
		  struct options *o)
{
	char err[512];
	int opt;

	memset(o, 0, sizeof(*o));
	vigil_config_default(c);
	/* pass 1: the config file, so that every other flag overrides it */
	while ((opt = getopt_long(argc, argv, "c:s:e:p:hV", long_opts, NULL)) != -1) {
		if (opt == 'c') {
			o->config = optarg;
		} else if (opt == 'h') {
			usage(stdout);
			return VIGILD_EXIT_OK;
		} else if (opt == 'V') {
			printf("vigild " VIGILD_VERSION "\n");
			return VIGILD_EXIT_OK;
		} else if (opt == '?') {
			usage(stderr);
			return VIGILD_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
		return VIGILD_EXIT_CONFIG;
	}
	if (o->config && vigil_config_load(c, o->config, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		return VIGILD_EXIT_CONFIG;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:e:p:hV", long_opts, NULL)) != -1) {
		if (opt == 'c' || opt == 'h' || opt == 'V')
			continue;
		if (apply_opt(c, opt, optarg, o))
			return VIGILD_EXIT_CONFIG;
	}
	if (vigil_detect_params_check(&c->detect)) {
		fprintf(stderr, "vigild: inconsistent [detector] settings\n");
		return VIGILD_EXIT_CONFIG;
	}
	o->stats |= c->stats;
	return -1;
}
