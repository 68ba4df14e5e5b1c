// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-lat: latency of vigil's event paths.
 *
 *   vigil-lat pir [-d /dev/videoN] [-c COUNT] [-r RATE_HZ] [-w WIDTH_US]
 *                 [-P PRIO] [-a CPU] [-m] [-t TIMEOUT_S] [--no-gpio]
 *                 [--dump FILE] [--json]
 *
 * Asks the virtual board (debugfs of the simulated GPIO controller) for a
 * train of COUNT pulses at RATE_HZ and receives every edge, in the same
 * run, through two paths:
 *   v4l2      VIGIL_EVENT_PIR on the capture node (VIDIOC_DQEVENT), whose
 *             payload carries the hard-IRQ timestamp of vigil's PIR IRQ;
 *   gpiocdev  the PIR mirror line through the gpiolib character device,
 *             with vigild's GPIO PIR source (agent/pir-gpio.c: libgpiod
 *             1.6 as shipped by Debian 12, or 2.x, chosen at build time);
 *             the event timestamp is the hard-IRQ time of the mirror
 *             line's IRQ, CLOCK_MONOTONIC (1.6: the v1 line-event uAPI;
 *             2.x: the v2 uAPI with the monotonic event clock).
 * Per path it prints received, lost, and IRQ -> userspace latency (receive
 * time minus the IRQ timestamp, CLOCK_MONOTONIC) p50/p99/max in ns. It also
 * matches every event to the edge the board emitted (debugfs "edges") and
 * counts order errors and timestamps earlier than their edge, so tests can
 * assert on them.
 *
 * Each path is read by its own thread, with SCHED_FIFO priority PRIO and
 * pinned to CPU if asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <vigil.h>
#include <vigil-gpio-sim.h>

#include "pir-gpio.h"

#define DEBUGFS "/sys/kernel/debug"

struct lat_event {
	uint64_t irq_ns;	/* IRQ timestamp from the kernel */
	uint64_t recv_ns;	/* CLOCK_MONOTONIC when userspace had it */
	uint32_t seq;		/* v4l2 only */
	uint32_t lost;		/* v4l2 only */
	int level;
};

struct lat_path {
	const char *name;
	int fd;
	struct lat_event *ev;
	size_t n, cap;
	bool stop;		/* set by main, read by the thread */
	int err;		/* -errno of a failure in the thread */
	pthread_t thread;
	/* results */
	size_t received, rising;
	size_t lost;		/* v4l2: reported by the driver, else missing */
	size_t missing;		/* emitted - received */
	long order_errors, before_edge;
	uint64_t p50, p99, max, irq_delay_max;
};

struct lat_opts {
	const char *dev;
	unsigned int count;
	double rate;
	unsigned int width_us;
	int prio;
	int cpu;
	bool mlock;
	bool json;
	bool gpio;
	unsigned int timeout_s;
	const char *dump;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int path_push(struct lat_path *p, const struct lat_event *e)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		struct lat_event *ev = realloc(p->ev, cap * sizeof(*ev));

		if (!ev)
			return -ENOMEM;
		p->ev = ev;
		p->cap = cap;
	}
	p->ev[p->n] = *e;
	/* main polls the count while waiting for the train */
	__atomic_store_n(&p->n, p->n + 1, __ATOMIC_RELEASE);
	return 0;
}

static int thread_setup(const struct lat_opts *o)
{
	if (o->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			return -EINVAL;
	}
	if (o->prio > 0) {
		struct sched_param sp = { .sched_priority = o->prio };
		int ret = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

		if (ret)
			return -ret;
	}
	return 0;
}

/* ---- V4L2 event path ---------------------------------------------------- */

struct thread_arg {
	struct lat_path *path;
	const struct lat_opts *opts;
	struct pir_gpio *pir;
};

static void *v4l2_thread(void *data)
{
	struct thread_arg *a = data;
	struct lat_path *p = a->path;
	struct pollfd pfd = { .fd = p->fd, .events = POLLPRI };

	p->err = thread_setup(a->opts);
	while (!p->err && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		struct v4l2_event ev;
		const struct vigil_event_pir *pe;
		struct lat_event e;
		int ret = poll(&pfd, 1, 50);

		if (ret < 0 && errno != EINTR) {
			p->err = -errno;
			break;
		}
		if (ret <= 0)
			continue;
		for (;;) {
			memset(&ev, 0, sizeof(ev));
			if (ioctl(p->fd, VIDIOC_DQEVENT, &ev) < 0) {
				if (errno != ENOENT && errno != EAGAIN)
					p->err = -errno;
				break;
			}
			e.recv_ns = now_ns();
			if (ev.type != VIGIL_EVENT_PIR)
				continue;
			pe = (const struct vigil_event_pir *)ev.u.data;
			e.irq_ns = pe->irq_ts_ns;
			e.seq = pe->seq;
			e.lost = pe->lost;
			e.level = pe->level;
			if (path_push(p, &e)) {
				p->err = -ENOMEM;
				break;
			}
			if (!ev.pending)
				break;
		}
	}
	return NULL;
}

/* ---- gpiolib character device path (libgpiod, through pir-gpio.c) ------- */

static void *gpio_thread(void *data)
{
	struct thread_arg *a = data;
	struct lat_path *p = a->path;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct vigil_pir_event evs[64];

	p->err = thread_setup(a->opts);
	while (!p->err && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		int ret = poll(&pfd, 1, 50);
		unsigned int i, n;
		uint64_t t;

		if (ret < 0 && errno != EINTR) {
			p->err = -errno;
			break;
		}
		if (ret <= 0)
			continue;
		ret = pir_gpio_read(a->pir, evs, 64, &n);
		t = now_ns();
		if (ret) {
			p->err = ret;
			break;
		}
		for (i = 0; i < n; i++) {
			struct lat_event e = {
				.irq_ns = evs[i].ts_ns,
				.recv_ns = t,
				.level = evs[i].level,
			};

			if (path_push(p, &e)) {
				p->err = -ENOMEM;
				break;
			}
		}
	}
	return NULL;
}

/* ---- debugfs of the board ----------------------------------------------- */

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Instance id of the board the capture node belongs to: "vigil.<id>". */
static int board_id(const char *dev, unsigned int *id)
{
	char link[PATH_MAX], path[PATH_MAX];
	const char *base = strrchr(dev, '/');
	const char *dot;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/device",
		 base ? base + 1 : dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	dot = strrchr(base, '.');
	if (strncmp(base, "vigil.", 6) || !dot)
		return -ENODEV;
	*id = strtoul(dot + 1, NULL, 10);
	return 0;
}

static int read_edges(const char *dir, uint64_t **edges, size_t *n)
{
	char path[300], line[128];
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/edges", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*n = 0;
	*edges = NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long idx, ns;
		int level;

		if (sscanf(line, "%llu %d %llu", &idx, &level, &ns) != 3)
			continue;
		if (*n == cap) {
			uint64_t *e;

			cap = cap ? 2 * cap : 1024;
			e = realloc(*edges, cap * sizeof(*e));
			if (!e) {
				fclose(f);
				return -ENOMEM;
			}
			*edges = e;
		}
		(*edges)[(*n)++] = ns;
	}
	fclose(f);
	return 0;
}

/* ---- analysis ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Index of the last edge at or before @t, -1 if none. */
static long edge_of(const uint64_t *edges, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (edges[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static int analyse(struct lat_path *p, const uint64_t *edges, size_t nedges,
		   bool has_seq, FILE *dump)
{
	uint64_t *lat;
	long prev_edge = -1;
	uint32_t prev_seq = 0;
	size_t i, k = 0;
	bool first = true;

	lat = calloc(p->n ? p->n : 1, sizeof(*lat));
	if (!lat)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		const struct lat_event *e = &p->ev[i];
		long ei;

		/* Events from before the train (the line's previous state). */
		if (!nedges || e->irq_ns < edges[0])
			continue;
		ei = edge_of(edges, nedges, e->irq_ns);
		if (ei <= prev_edge || (ei % 2 == 0) != (e->level == 1))
			p->order_errors++;
		if (has_seq && !first && e->seq != prev_seq + 1 + e->lost)
			p->order_errors++;
		if (has_seq)
			p->lost += e->lost;
		if (e->irq_ns < edges[ei])
			p->before_edge++;
		if (e->irq_ns - edges[ei] > p->irq_delay_max)
			p->irq_delay_max = e->irq_ns - edges[ei];
		prev_edge = ei;
		prev_seq = e->seq;
		first = false;
		p->received++;
		p->rising += e->level == 1;
		lat[k++] = e->recv_ns - e->irq_ns;
		if (dump)
			fprintf(dump, "%s %ld %d %u %u %" PRIu64 " %" PRIu64
				" %" PRIu64 "\n", p->name, ei, e->level, e->seq,
				e->lost, edges[ei], e->irq_ns, e->recv_ns);
	}
	p->missing = nedges - p->received;
	if (!has_seq)
		p->lost = p->missing;
	qsort(lat, k, sizeof(*lat), cmp_u64);
	if (k) {
		p->p50 = lat[(k - 1) * 50 / 100];
		p->p99 = lat[(k - 1) * 99 / 100];
		p->max = lat[k - 1];
	}
	free(lat);
	return 0;
}

static void print_path_text(const struct lat_path *p)
{
	printf("%-9s received %zu (rising %zu) lost %zu missing %zu  latency p50 %" PRIu64
	       " ns p99 %" PRIu64 " ns max %" PRIu64 " ns  order_errors %ld"
	       " before_edge %ld irq_delay_max %" PRIu64 " ns\n",
	       p->name, p->received, p->rising, p->lost, p->missing, p->p50,
	       p->p99,
	       p->max, p->order_errors, p->before_edge, p->irq_delay_max);
}

static void print_path_json(const struct lat_path *p)
{
	printf("{\"received\":%zu,\"rising\":%zu,\"lost\":%zu,\"missing\":%zu,"
	       "\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
	       ",\"order_errors\":%ld,\"before_edge\":%ld,"
	       "\"irq_delay_max_ns\":%" PRIu64 "}",
	       p->received, p->rising, p->lost, p->missing, p->p50, p->p99,
	       p->max,
	       p->order_errors, p->before_edge, p->irq_delay_max);
}

/* ---- vigil-lat pir ------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-lat pir [options]\n"
"  -d, --device DEV     capture node (default /dev/video0)\n"
"  -c, --count N        pulses (default 1000)\n"
"  -r, --rate HZ        pulses per second (default 100)\n"
"  -w, --width US       pulse width (default half the period)\n"
"  -P, --prio N         SCHED_FIFO priority of the reader threads\n"
"  -a, --cpu N          pin the reader threads to CPU N\n"
"  -m, --mlock          mlockall(MCL_CURRENT | MCL_FUTURE)\n"
"  -t, --timeout S      give up S seconds after the train ends (default 2)\n"
"      --no-gpio        V4L2 path only\n"
"      --dump FILE      one line per received event\n"
"      --json           {\"emitted\":N,\"v4l2\":{...},\"gpiocdev\":{...}}\n");
}

static int parse_opts(int argc, char **argv, struct lat_opts *o)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "width", required_argument, NULL, 'w' },
		{ "prio", required_argument, NULL, 'P' },
		{ "cpu", required_argument, NULL, 'a' },
		{ "mlock", no_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-gpio", no_argument, NULL, 'G' },
		{ "dump", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:c:r:w:P:a:mt:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'c': o->count = strtoul(optarg, NULL, 0); break;
		case 'r': o->rate = strtod(optarg, NULL); break;
		case 'w': o->width_us = strtoul(optarg, NULL, 0); break;
		case 'P': o->prio = atoi(optarg); break;
		case 'a': o->cpu = atoi(optarg); break;
		case 'm': o->mlock = true; break;
		case 't': o->timeout_s = strtoul(optarg, NULL, 0); break;
		case 'G': o->gpio = false; break;
		case 'D': o->dump = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "pir"))
		return -EINVAL;
	if (!o->count || o->count > VIGIL_GPIO_SIM_TRAIN_MAX || o->rate <= 0)
		return -EINVAL;
	return 0;
}

/* Wait until the train has been emitted; -ETIMEDOUT after @limit_ns. */
static int wait_train(const char *dir, unsigned int count, uint64_t limit_ns)
{
	char path[300], buf[256];
	unsigned int emitted = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/train", dir);
	for (;;) {
		ret = read_file(path, buf, sizeof(buf));
		if (ret)
			return ret;
		if (!strncmp(buf, "idle", 4)) {
			char *e = strstr(buf, "emitted ");

			emitted = e ? strtoul(e + 8, NULL, 10) : 0;
			return emitted == 2 * count ? 0 : -EIO;
		}
		if (now_ns() > limit_ns)
			return -ETIMEDOUT;
		usleep(20000);
	}
}

/* Wait until @p has @n events or nothing came for @quiet_ns. */
static void wait_quiet(struct lat_path *p, size_t n, uint64_t quiet_ns)
{
	size_t last = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);
	uint64_t since = now_ns();

	while (!p->err) {
		size_t cur = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);

		if (cur >= n)
			return;
		if (cur != last) {
			last = cur;
			since = now_ns();
		} else if (now_ns() - since > quiet_ns) {
			return;
		}
		usleep(10000);
	}
}

int main(int argc, char **argv)
{
	struct lat_opts o = {
		.dev = "/dev/video0", .count = 1000, .rate = 100, .cpu = -1,
		.gpio = true, .timeout_s = 2,
	};
	struct lat_path v4l2 = { .name = "v4l2", .fd = -1 };
	struct lat_path gpio = { .name = "gpiocdev", .fd = -1 };
	struct thread_arg va = { .path = &v4l2, .opts = &o };
	struct thread_arg ga = { .path = &gpio, .opts = &o };
	struct v4l2_event_subscription sub = { .type = VIGIL_EVENT_PIR };
	char dir[256], path[300], label[64], cmd[96];
	struct pir_gpio *pir = NULL;
	char line[16], err[256];
	unsigned int id = 0, period_us;
	uint64_t *edges = NULL, limit;
	size_t nedges = 0;
	bool v4l2_started = false, gpio_started = false;
	FILE *dump = NULL;
	int ret, rc = 1;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	period_us = (unsigned int)(1e6 / o.rate);
	if (!o.width_us)
		o.width_us = period_us / 2;
	if (period_us < VIGIL_GPIO_SIM_TRAIN_MIN_US || !o.width_us ||
	    o.width_us >= period_us) {
		fprintf(stderr, "vigil-lat: rate %.1f Hz / width %u us not possible\n",
			o.rate, o.width_us);
		return 2;
	}

	if (o.mlock && mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "vigil-lat: mlockall: %s\n", strerror(errno));
		return 1;
	}

	ret = board_id(o.dev, &id);
	if (ret) {
		fprintf(stderr, "vigil-lat: %s is not a vigil camera: %s\n",
			o.dev, strerror(-ret));
		return 1;
	}
	snprintf(dir, sizeof(dir), DEBUGFS "/vigil-gpio-sim.%u", id);
	snprintf(label, sizeof(label), VIGIL_GPIO_SIM_LABEL "%u", id);

	v4l2.fd = open(o.dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v4l2.fd < 0) {
		fprintf(stderr, "vigil-lat: open %s: %s\n", o.dev,
			strerror(errno));
		return 1;
	}
	if (ioctl(v4l2.fd, VIDIOC_SUBSCRIBE_EVENT, &sub) < 0) {
		fprintf(stderr, "vigil-lat: subscribe VIGIL_EVENT_PIR: %s\n",
			strerror(errno));
		goto out;
	}

	if (o.gpio) {
		snprintf(line, sizeof(line), "%d", VIGIL_GPIO_LINE_PIR_MIRROR);
		ret = pir_gpio_open(label, line, "vigil-lat", &pir, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vigil-lat: %s\n", err);
			goto out;
		}
		gpio.fd = pir_gpio_fd(pir);
		ga.pir = pir;
	}

	if (pthread_create(&v4l2.thread, NULL, v4l2_thread, &va))
		goto out;
	v4l2_started = true;
	if (o.gpio) {
		if (pthread_create(&gpio.thread, NULL, gpio_thread, &ga))
			goto out;
		gpio_started = true;
	}

	snprintf(cmd, sizeof(cmd), "%u %u %u", o.count, period_us, o.width_us);
	snprintf(path, sizeof(path), "%s/train", dir);
	ret = write_file(path, cmd);
	if (ret) {
		fprintf(stderr, "vigil-lat: start train in %s: %s\n", dir,
			strerror(-ret));
		goto out;
	}
	/* The train lasts count periods; allow for a slow (emulated) CPU. */
	limit = now_ns() + (uint64_t)o.count * period_us * 1000ull * 20 +
		(uint64_t)(o.timeout_s + 10) * 1000000000ull;
	ret = wait_train(dir, o.count, limit);
	if (ret) {
		fprintf(stderr, "vigil-lat: pulse train: %s\n", strerror(-ret));
		goto out;
	}
	wait_quiet(&v4l2, 2 * (size_t)o.count,
		   (uint64_t)o.timeout_s * 1000000000ull);
	if (o.gpio)
		wait_quiet(&gpio, 2 * (size_t)o.count,
			   (uint64_t)o.timeout_s * 1000000000ull);
	rc = 0;
out:
	__atomic_store_n(&v4l2.stop, true, __ATOMIC_RELEASE);
	__atomic_store_n(&gpio.stop, true, __ATOMIC_RELEASE);
	if (v4l2_started)
		pthread_join(v4l2.thread, NULL);
	if (gpio_started)
		pthread_join(gpio.thread, NULL);
	if (v4l2.err || gpio.err) {
		fprintf(stderr, "vigil-lat: reader: %s\n",
			strerror(-(v4l2.err ? v4l2.err : gpio.err)));
		rc = 1;
	}
	if (!rc) {
		ret = read_edges(dir, &edges, &nedges);
		if (ret) {
			fprintf(stderr, "vigil-lat: %s/edges: %s\n", dir,
				strerror(-ret));
			rc = 1;
		}
	}
	if (!rc && o.dump) {
		dump = fopen(o.dump, "we");
		if (!dump)
			fprintf(stderr, "vigil-lat: %s: %s\n", o.dump,
				strerror(errno));
	}
	if (!rc && (analyse(&v4l2, edges, nedges, true, dump) ||
		    (o.gpio && analyse(&gpio, edges, nedges, false, dump))))
		rc = 1;
	if (dump)
		fclose(dump);
	if (!rc && o.json) {
		printf("{\"emitted\":%zu,\"pulses\":%u,\"v4l2\":", nedges,
		       o.count);
		print_path_json(&v4l2);
		if (o.gpio) {
			printf(",\"gpiocdev\":");
			print_path_json(&gpio);
		}
		printf("}\n");
	} else if (!rc) {
		printf("emitted %zu edges (%u pulses, %u us period, %u us width)\n",
		       nedges, o.count, period_us, o.width_us);
		print_path_text(&v4l2);
		if (o.gpio)
			print_path_text(&gpio);
	}
	free(edges);
	free(v4l2.ev);
	free(gpio.ev);
	pir_gpio_free(pir);
	close(v4l2.fd);
	return rc;
}
