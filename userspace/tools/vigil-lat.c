// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-lat: latency of vigil's event paths (issue 13).
 *
 *   vigil-lat pir [-d /dev/videoN] [-c COUNT] [-r RATE_HZ] [-w WIDTH_US]
 *                 [-P PRIO] [-a CPU] [-m] [-t TIMEOUT_S] [--no-gpio]
 *                 [--load none|cpu|mem|io|sched] [--hist-max US]
 *                 [-o PREFIX] [--dump FILE] [--json]
 *   vigil-lat compare A.json B.json
 *   vigil-lat overhead [-n N] [--json]
 *   vigil-lat wake [-d /dev/videoN] [-c CYCLES] [--fps N] [-o PREFIX] [--json]
 *   vigil-lat frame [-o PREFIX] [--json] [--ktrace KTRACE] TRACE
 *   vigil-lat ktrace on PID | off KTRACE
 *   vigil-lat event [-o PREFIX] [--json] TRACE
 *
 * pir asks the virtual board (debugfs of the simulated GPIO controller) for
 * a train of COUNT pulses at RATE_HZ and receives every edge, in the same
 * run, through two paths:
 *   v4l2      VIGIL_EVENT_PIR on the capture node (VIDIOC_DQEVENT), whose
 *             payload carries the hard-IRQ timestamp of vigil's PIR IRQ;
 *   gpiocdev  the PIR mirror line through the gpiolib character device,
 *             with the v2 uAPI ioctls directly (no library between the
 *             kernel and the measurement): GPIO_V2_GET_LINE_IOCTL, both
 *             edges, the default CLOCK_MONOTONIC event clock; the event
 *             timestamp is the hard-IRQ time of the mirror line's IRQ and
 *             line_seqno numbers the edges, so drops are counted.
 * Per path: received, lost, and IRQ -> userspace latency (receive time
 * minus the IRQ timestamp, CLOCK_MONOTONIC): min, p50, p99, p99.9, max,
 * avg. Every event is matched to the edge the board emitted (debugfs
 * "edges"): order errors and timestamps earlier than their edge are
 * counted, so tests can assert on them. The cost of measuring (a clock
 * read, an empty read of each path) is measured before the train and
 * reported. With -o PREFIX, PREFIX.json (every setting: kernel release
 * and preemption model, kernel command line, CPU, load, counts) and
 * PREFIX.hist (cyclictest -h format) are written, both or neither.
 *
 * Each path is read by its own thread, with SCHED_FIFO priority PRIO and
 * pinned to CPU if asked.
 *
 * wake streams 160x120 GREY, puts the sensor in standby (no keep-alive
 * frames) and wakes it with one pulse, CYCLES times; from vigil:vigil_pir_wake
 * and the first frame it takes three stages per cycle: PIR IRQ -> the IRQ
 * thread switched to full rate, PIR IRQ -> the first full-rate frame's
 * end-of-frame timestamp, and that timestamp -> DQBUF here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/gpio.h>
#include <linux/videodev2.h>
#include <vigil.h>
#include <vigil-gpio-sim.h>

#include "latstat.h"

#define DEBUGFS "/sys/kernel/debug"
#define HIST_MAX_US_DEFAULT 10000

struct lat_event {
	uint64_t irq_ns;	/* IRQ timestamp from the kernel */
	uint64_t recv_ns;	/* CLOCK_MONOTONIC when userspace had it */
	uint32_t seq;		/* numbers the edges on this path */
	uint32_t lost;		/* events lost right before this one */
	int level;
	bool counted;		/* one of the train's edges (analyse()) */
};

struct lat_path {
	const char *name;	/* JSON key */
	const char *stage;	/* stage name in "stages" */
	int fd;
	struct lat_event *ev;
	size_t n, cap;
	bool stop;		/* set by main, read by the thread */
	int err;		/* -errno of a failure in the thread */
	pthread_t thread;
	/* results */
	uint64_t *lat;		/* latencies of the received edges, sorted */
	struct lat_stats st;
	size_t received, rising;
	size_t lost;		/* reported by the kernel (sequence gaps) */
	size_t missing;		/* emitted edges not received */
	size_t foreign;		/* edges read that the train did not emit */
	long order_errors, before_edge;
	uint64_t irq_delay_max;
	uint64_t read_ns;	/* cost of one empty read */
	/* attribution (--attribute) */
	const char *irq_name;	/* action name in /proc/interrupts */
	int irq;		/* its IRQ number, -1 unknown */
	pid_t tid;		/* the reader thread */
};

enum lat_load {
	LOAD_NONE,
	LOAD_CPU,
	LOAD_MEM,
	LOAD_IO,
	LOAD_SCHED,
	LOAD_VIGILD,
};

static const char *const load_names[] = {
	[LOAD_NONE] = "none",
	[LOAD_CPU] = "cpu",
	[LOAD_MEM] = "mem",
	[LOAD_IO] = "io",
	[LOAD_SCHED] = "sched",
	[LOAD_VIGILD] = "vigild",
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
	unsigned int hist_max_us;
	enum lat_load load;
	const char *dump;
	const char *output;
	bool attribute;
	int irq_cpu;		/* --irq-cpu: -1 any */
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

struct thread_arg {
	struct lat_path *path;
	const struct lat_opts *opts;
};

/* ---- V4L2 event path ---------------------------------------------------- */

static void *v4l2_thread(void *data)
{
	struct thread_arg *a = data;
	struct lat_path *p = a->path;
	struct pollfd pfd = { .fd = p->fd, .events = POLLPRI };

	__atomic_store_n(&p->tid, gettid(), __ATOMIC_RELEASE);
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

/* ---- gpiolib character device, v2 uAPI ---------------------------------- */

/* Open the gpiochip labelled @label; -ENOENT if there is none. */
static int gpiochip_open(const char *label, char *name, size_t len)
{
	DIR *d = opendir("/dev");
	struct dirent *de;
	int fd = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct gpiochip_info info;
		char path[300];

		if (strncmp(de->d_name, "gpiochip", 8))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fd = -ENOENT;
			continue;
		}
		memset(&info, 0, sizeof(info));
		if (!ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info) &&
		    !strncmp(info.label, label, sizeof(info.label))) {
			snprintf(name, len, "%s", de->d_name);
			break;
		}
		close(fd);
		fd = -ENOENT;
	}
	closedir(d);
	return fd;
}

/* Request @offset of the chip labelled @label for both edges (v2 uAPI). */
static int gpio_v2_open(const char *label, unsigned int offset, char *err,
			size_t errlen)
{
	struct gpio_v2_line_request req;
	char chip[300];
	int cfd, flags;

	cfd = gpiochip_open(label, chip, sizeof(chip));
	if (cfd < 0) {
		snprintf(err, errlen,
			 "no gpiochip labelled %s in /dev (kernel without CONFIG_GPIO_CDEV, or vigil-gpio-sim not loaded)",
			 label);
		return cfd;
	}
	memset(&req, 0, sizeof(req));
	req.offsets[0] = offset;
	req.num_lines = 1;
	req.event_buffer_size = 1024;
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING;
	snprintf(req.consumer, sizeof(req.consumer), "vigil-lat");
	if (ioctl(cfd, GPIO_V2_GET_LINE_IOCTL, &req) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s line %u: GPIO_V2_GET_LINE_IOCTL: %s%s",
			 chip, offset, strerror(e),
			 e == ENOTTY || e == EINVAL ?
			 " (kernel without the gpio-cdev v2 uAPI?)" : "");
		close(cfd);
		return -e;
	}
	close(cfd);
	flags = fcntl(req.fd, F_GETFL);
	if (flags < 0 || fcntl(req.fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int e = errno;

		snprintf(err, errlen, "line fd O_NONBLOCK: %s", strerror(e));
		close(req.fd);
		return -e;
	}
	return req.fd;
}

static void *gpio_thread(void *data)
{
	struct thread_arg *a = data;
	struct lat_path *p = a->path;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct gpio_v2_line_event evs[64];
	uint32_t prev_seqno = 0;

	__atomic_store_n(&p->tid, gettid(), __ATOMIC_RELEASE);
	p->err = thread_setup(a->opts);
	while (!p->err && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		int ret = poll(&pfd, 1, 50);
		ssize_t r;
		size_t i, n;
		uint64_t t;

		if (ret < 0 && errno != EINTR) {
			p->err = -errno;
			break;
		}
		if (ret <= 0)
			continue;
		r = read(p->fd, evs, sizeof(evs));
		t = now_ns();
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				p->err = -errno;
			continue;
		}
		n = (size_t)r / sizeof(evs[0]);
		for (i = 0; i < n; i++) {
			struct lat_event e = {
				.irq_ns = evs[i].timestamp_ns,
				.recv_ns = t,
				.seq = evs[i].line_seqno,
				.lost = prev_seqno && evs[i].line_seqno > prev_seqno + 1 ?
					evs[i].line_seqno - prev_seqno - 1 : 0,
				.level = evs[i].id == GPIO_V2_LINE_EVENT_RISING_EDGE,
			};

			prev_seqno = evs[i].line_seqno;
			if (path_push(p, &e)) {
				p->err = -ENOMEM;
				break;
			}
		}
	}
	return NULL;
}

/* ---- files ---------------------------------------------------------------- */

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

/* Whole small file into a malloc'ed string; NULL on error (errno set). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
	} while (r);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* ---- analysis ------------------------------------------------------------ */

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

/*
 * Match the events read on path @p to the @nedges emitted edges. An event
 * on an edge already matched, or later than one period after the last
 * edge, was not emitted by the train (something else drives the line, e.g.
 * the virtual board's scene when it streams): counted as foreign, kept out
 * of the figures.
 */
static int analyse(struct lat_path *p, const uint64_t *edges, size_t nedges,
		   uint64_t period_ns, FILE *dump)
{
	long prev_edge = -1;
	uint32_t prev_seq = 0;
	size_t i, k = 0;
	bool first = true;

	p->lat = calloc(p->n ? p->n : 1, sizeof(*p->lat));
	if (!p->lat)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		struct lat_event *e = &p->ev[i];
		long ei;

		/* Events from before the train (the line's previous state). */
		if (!nedges || e->irq_ns < edges[0])
			continue;
		ei = edge_of(edges, nedges, e->irq_ns);
		if (!first && e->seq != prev_seq + 1 + e->lost)
			p->order_errors++;
		p->lost += e->lost;
		prev_seq = e->seq;
		first = false;
		if (ei == prev_edge || (ei == (long)nedges - 1 &&
					e->irq_ns - edges[ei] > period_ns)) {
			p->foreign++;
			continue;
		}
		if (ei < prev_edge || (ei % 2 == 0) != (e->level == 1))
			p->order_errors++;
		if (e->irq_ns < edges[ei])
			p->before_edge++;
		if (e->irq_ns - edges[ei] > p->irq_delay_max)
			p->irq_delay_max = e->irq_ns - edges[ei];
		prev_edge = ei;
		e->counted = true;
		p->received++;
		p->rising += e->level == 1;
		p->lat[k++] = e->recv_ns - e->irq_ns;
		if (dump)
			fprintf(dump, "%s %ld %d %u %u %" PRIu64 " %" PRIu64
				" %" PRIu64 "\n", p->name, ei, e->level, e->seq,
				e->lost, edges[ei], e->irq_ns, e->recv_ns);
	}
	p->missing = nedges - p->received;
	if (p->foreign)
		fprintf(stderr, "vigil-lat: %s: %zu edge(s) the train did not emit "
			"(another source drives the line?), left out\n",
			p->name, p->foreign);
	lat_stats_compute(p->lat, k, &p->st);
	return 0;
}

/* ---- measurement overhead -------------------------------------------------- */

#define OVH_N 20000
#define OVH_BATCHES 200

/*
 * Each cost is timed in OVH_BATCHES batches of n / OVH_BATCHES operations
 * and is the median batch's time per operation: on a shared machine a
 * batch that another process preempted is not the cost of measuring. The
 * mean over all batches, preemptions included, goes to *@mean.
 */
static uint64_t ovh_median(uint64_t *b, unsigned int nb, unsigned int per,
			   uint64_t *mean)
{
	uint64_t sum = 0;
	struct lat_stats st;
	unsigned int i;

	for (i = 0; i < nb; i++)
		sum += b[i];
	if (mean)
		*mean = sum / ((uint64_t)nb * per);
	lat_stats_compute(b, nb, &st);
	return st.p50 / per;
}

/* ns per clock read (the one each sample takes) */
static uint64_t ovh_clock(unsigned int n, uint64_t *mean)
{
	const unsigned int per = n / OVH_BATCHES ? n / OVH_BATCHES : 1;
	uint64_t b[OVH_BATCHES];
	volatile uint64_t sink = 0;
	unsigned int i, k;

	for (k = 0; k < OVH_BATCHES; k++) {
		const uint64_t t0 = now_ns();

		for (i = 0; i < per; i++)
			sink += now_ns();
		b[k] = now_ns() - t0;
	}
	(void)sink;
	return ovh_median(b, OVH_BATCHES, per, mean);
}

/*
 * ns per empty read of the V4L2 event queue (VIDIOC_DQEVENT -> ENOENT);
 * UINT64_MAX if the queue was not empty or the ioctl failed otherwise.
 */
static uint64_t ovh_v4l2(int fd, unsigned int n)
{
	const unsigned int per = n / OVH_BATCHES ? n / OVH_BATCHES : 1;
	uint64_t b[OVH_BATCHES];
	struct v4l2_event ev;
	unsigned int i, k;

	for (k = 0; k < OVH_BATCHES; k++) {
		const uint64_t t0 = now_ns();

		for (i = 0; i < per; i++)
			if (ioctl(fd, VIDIOC_DQEVENT, &ev) >= 0 || errno != ENOENT)
				return UINT64_MAX;
		b[k] = now_ns() - t0;
	}
	return ovh_median(b, OVH_BATCHES, per, NULL);
}

/* ns per empty non-blocking read() (EAGAIN); UINT64_MAX if not empty */
static uint64_t ovh_read(int fd, unsigned int n, uint64_t *mean)
{
	const unsigned int per = n / OVH_BATCHES ? n / OVH_BATCHES : 1;
	char buf[sizeof(struct gpio_v2_line_event)];
	uint64_t b[OVH_BATCHES];
	unsigned int i, k;

	for (k = 0; k < OVH_BATCHES; k++) {
		const uint64_t t0 = now_ns();

		for (i = 0; i < per; i++)
			if (read(fd, buf, sizeof(buf)) >= 0 || errno != EAGAIN)
				return UINT64_MAX;
		b[k] = now_ns() - t0;
	}
	return ovh_median(b, OVH_BATCHES, per, mean);
}

/* ---- load ----------------------------------------------------------------- */

struct load {
	enum lat_load kind;
	pid_t pid;		/* process group of the load */
	char cmd[512];
	const char *dev;	/* vigild: the camera */
	char dir[PATH_MAX];	/* vigild: its clips, token and log; removed after */
};

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
		if (len && !access(buf, X_OK))
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/*
 * --load vigild: a vigild on the same camera (160x120 GREY at 30 fps),
 * recording the alarms the train's PIR edges raise (pir-only) into a
 * temporary directory and streaming /api/live to one HTTP client (curl):
 * vigil itself busy beside the measurement. Ready once the client has
 * its first bytes.
 */
#define LOAD_VIGILD_PORT "18090"

static const char load_vigild_sh[] =
	"V=$0 D=$1 DEV=$2 PORT=$3\n"
	"\"$V\" --source \"v4l2:$DEV\" --size 160x120 --format GREY --fps 30 "
	"--policy pir-only --events /dev/null --set \"record.dir=$D\" "
	"--set \"http.listen=127.0.0.1:$PORT\" --set \"http.token_file=$D/token\" "
	"2>\"$D/vigild.err\" &\n"
	"i=0; while [ ! -s \"$D/token\" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done\n"
	"curl -sN --retry 30 --retry-connrefused --retry-delay 1 "
	"-H \"Authorization: Bearer $(cat \"$D/token\")\" \"http://127.0.0.1:$PORT/api/live\" | "
	"{ head -c 64 >/dev/null && : >\"$D/ready\"; cat >/dev/null; } &\n"
	"wait\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* vigild next to vigil-lat (the build tree: tools/..), else in PATH. */
static int find_vigild(char *path, size_t len)
{
	char self[PATH_MAX - 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, len, "%s/../vigild", self);
			if (!access(path, X_OK))
				return 0;
			snprintf(path, len, "%s/vigild", self);
			if (!access(path, X_OK))
				return 0;
		}
	}
	if (in_path("vigild")) {
		snprintf(path, len, "vigild");
		return 0;
	}
	return -ENOENT;
}

/*
 * In a load's child, before exec: its own process group (stopped as one),
 * an ordinary task whatever we are, stdin and stdout on /dev/null.
 */
static void load_child(void)
{
	int nul = open("/dev/null", O_RDWR);
	struct sched_param sp = { 0 };

	setpgid(0, 0);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
	}
}

static int load_vigild(struct load *l, char *err, size_t errlen)
{
	const char *t = getenv("TMPDIR");
	char vigild[PATH_MAX], ready[PATH_MAX + 8], log[PATH_MAX + 16];
	int status, i;
	pid_t pid;

	if (find_vigild(vigild, sizeof(vigild))) {
		snprintf(err, errlen, "--load vigild needs vigild, not found next to vigil-lat nor in PATH");
		return -ENOENT;
	}
	if (!in_path("curl")) {
		snprintf(err, errlen, "--load vigild needs curl, not found in PATH (Debian package curl)");
		return -ENOENT;
	}
	snprintf(l->dir, sizeof(l->dir), "%s/vigil-lat-vigild.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(l->dir)) {
		snprintf(err, errlen, "--load vigild: mkdtemp %.200s: %s", l->dir,
			 strerror(errno));
		l->dir[0] = '\0';
		return -errno;
	}
	snprintf(l->cmd, sizeof(l->cmd),
		 "%.150s --source v4l2:%.100s --size 160x120 --format GREY --fps 30 --policy pir-only"
		 " (recording to %.100s) + curl http://127.0.0.1:" LOAD_VIGILD_PORT "/api/live",
		 vigild, l->dev, l->dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (!pid) {
		load_child();
		execlp("sh", "sh", "-c", load_vigild_sh, vigild, l->dir, l->dev,
		       LOAD_VIGILD_PORT, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	l->pid = pid;
	/* vigild streaming and its client served (an emulated CPU: slow) */
	snprintf(ready, sizeof(ready), "%s/ready", l->dir);
	for (i = 0; i < 1200 && access(ready, F_OK); i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			l->pid = 0;
			break;
		}
		usleep(100000);
	}
	if (!access(ready, F_OK))
		return 0;
	snprintf(log, sizeof(log), "%s/vigild.err", l->dir);
	{
		char buf[256] = "";
		FILE *f = fopen(log, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		for (char *c = buf; *c; c++)
			if (*c == '\n')
				*c = ' ';
		snprintf(err, errlen, "--load vigild: vigild did not stream to its HTTP client within 120 s (vigild: %s)",
			 buf[0] ? buf : "no output");
	}
	return -ETIMEDOUT;
}

/*
 * Start the load @l->kind in its own process group; 0 or -errno with a
 * message in @err (a missing tool is named, with its Debian package).
 */
static int load_start(struct load *l, char *err, size_t errlen)
{
	char ncpu[16], tmp[PATH_MAX];
	const char *t = getenv("TMPDIR");
	char *argv[16];
	int i = 0, status;
	pid_t pid;

	l->pid = 0;
	if (l->kind == LOAD_NONE) {
		snprintf(l->cmd, sizeof(l->cmd), "none");
		return 0;
	}
	if (l->kind == LOAD_VIGILD)
		return load_vigild(l, err, errlen);
	snprintf(ncpu, sizeof(ncpu), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(tmp, sizeof(tmp), "%s", t && *t ? t : "/tmp");
	if (l->kind == LOAD_SCHED) {
		argv[i++] = "hackbench";
		argv[i++] = "-g";
		argv[i++] = "2";
		argv[i++] = "-f";
		argv[i++] = "4";
		argv[i++] = "-l";
		argv[i++] = "100000000";
	} else {
		argv[i++] = "stress-ng";
		argv[i++] = "-q";
		switch (l->kind) {
		case LOAD_CPU:
			argv[i++] = "--cpu";
			argv[i++] = ncpu;
			break;
		case LOAD_MEM:
			argv[i++] = "--vm";
			argv[i++] = "1";
			argv[i++] = "--vm-bytes";
			argv[i++] = "64M";
			break;
		default:
			argv[i++] = "--hdd";
			argv[i++] = "1";
			argv[i++] = "--hdd-bytes";
			argv[i++] = "16M";
			argv[i++] = "--temp-path";
			argv[i++] = tmp;
			break;
		}
	}
	argv[i] = NULL;
	if (!in_path(argv[0])) {
		snprintf(err, errlen, "--load %s needs %s, not found in PATH (Debian package %s)",
			 load_names[l->kind], argv[0],
			 l->kind == LOAD_SCHED ? "rt-tests" : "stress-ng");
		return -ENOENT;
	}
	l->cmd[0] = '\0';
	for (i = 0; argv[i]; i++) {
		size_t len = strlen(l->cmd);

		snprintf(l->cmd + len, sizeof(l->cmd) - len, "%s%s",
			 i ? " " : "", argv[i]);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (!pid) {
		load_child();
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	l->pid = pid;
	/* let it start; a load that dies at once is an error */
	usleep(500000);
	if (waitpid(pid, &status, WNOHANG) == pid) {
		l->pid = 0;
		snprintf(err, errlen, "load \"%s\" exited at once (status %d)",
			 l->cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -ECHILD;
	}
	return 0;
}

static void load_stop(struct load *l)
{
	if (l->pid > 0) {
		kill(-l->pid, SIGKILL);
		while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
			;
		/* reap any other member of the group */
		while (waitpid(-l->pid, NULL, WNOHANG) > 0)
			;
		/* members not ours (vigild, the shell's child) are reaped by init:
		 * gone before the camera is used again (up to 5 s) */
		for (int i = 0; i < 500 && !kill(-l->pid, 0); i++)
			usleep(10000);
		l->pid = 0;
	}
	if (l->dir[0]) {
		/* the group's other members may still be exiting: the directory goes anyway */
		usleep(100000);
		nftw(l->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		l->dir[0] = '\0';
	}
}

/* ---- system description ----------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/*
 * Preemption model: PREEMPT_RT, PREEMPT, or with PREEMPT_DYNAMIC the mode
 * chosen at boot (debugfs sched/preempt: "none voluntary (full)"), else
 * "none/voluntary" (the kernel does not say which).
 */
static void preempt_model(const char *version, char *buf, size_t len)
{
	char mode[128], *l, *r;

	if (strstr(version, "PREEMPT_RT")) {
		snprintf(buf, len, "PREEMPT_RT");
	} else if (strstr(version, "PREEMPT_DYNAMIC")) {
		if (!read_file(DEBUGFS "/sched/preempt", mode, sizeof(mode)) &&
		    (l = strchr(mode, '(')) && (r = strchr(l, ')'))) {
			*r = '\0';
			snprintf(buf, len, "PREEMPT_DYNAMIC(%s)", l + 1);
		} else {
			snprintf(buf, len, "PREEMPT_DYNAMIC");
		}
	} else if (strstr(version, "PREEMPT")) {
		snprintf(buf, len, "PREEMPT");
	} else {
		snprintf(buf, len, "none/voluntary");
	}
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			chomp(c + 2);
			snprintf(buf, len, "%s", c + 2);
			break;
		}
	}
	fclose(f);
}

static void loadavg(char *buf, size_t len)
{
	char s[128];
	double a = 0, b = 0, c = 0;

	if (read_file("/proc/loadavg", s, sizeof(s)) ||
	    sscanf(s, "%lf %lf %lf", &a, &b, &c) != 3)
		snprintf(buf, len, "null");
	else
		snprintf(buf, len, "[%.2f,%.2f,%.2f]", a, b, c);
}

static void print_system(FILE *f, const char *load0, const char *load1)
{
	struct utsname u;
	char cmdline[4096], model[256], preempt[64], rt[16];
	bool realtime;

	uname(&u);
	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)))
		cmdline[0] = '\0';
	chomp(cmdline);
	cpu_model(model, sizeof(model));
	preempt_model(u.version, preempt, sizeof(preempt));
	realtime = !read_file("/sys/kernel/realtime", rt, sizeof(rt)) &&
		   rt[0] == '1';
	fprintf(f, "\"system\":{\"kernel_release\":");
	json_str(f, u.release);
	fprintf(f, ",\"kernel_version\":");
	json_str(f, u.version);
	fprintf(f, ",\"preempt\":");
	json_str(f, preempt);
	fprintf(f, ",\"realtime\":%s,\"machine\":", realtime ? "true" : "false");
	json_str(f, u.machine);
	fprintf(f, ",\"cmdline\":");
	json_str(f, cmdline);
	fprintf(f, ",\"cpu_model\":");
	json_str(f, model);
	fprintf(f, ",\"ncpus\":%ld,\"loadavg_start\":%s,\"loadavg_end\":%s}",
		sysconf(_SC_NPROCESSORS_ONLN), load0, load1);
}

/* ---- output ----------------------------------------------------------------- */

static void print_path_text(const struct lat_path *p)
{
	printf("%-9s received %zu (rising %zu) lost %zu missing %zu foreign %zu  latency min %" PRIu64
	       " p50 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64 " max %" PRIu64
	       " ns  order_errors %ld before_edge %ld irq_delay_max %" PRIu64
	       " ns  read %" PRIu64 " ns\n",
	       p->name, p->received, p->rising, p->lost, p->missing, p->foreign,
	       p->st.min, p->st.p50, p->st.p99, p->st.p999, p->st.max, p->order_errors,
	       p->before_edge, p->irq_delay_max, p->read_ns);
}

static void print_path_json(FILE *f, const struct lat_path *p,
			    unsigned int hist_max_us)
{
	size_t i, over = 0;

	for (i = 0; i < p->st.n; i++)
		over += p->lat[i] / 1000 >= hist_max_us;
	fprintf(f, "{\"received\":%zu,\"rising\":%zu,\"lost\":%zu,\"missing\":%zu,"
		"\"foreign\":%zu,"
		"\"min_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64
		",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"avg_ns\":%" PRIu64
		",\"hist_overflows\":%zu,\"order_errors\":%ld,\"before_edge\":%ld,"
		"\"irq_delay_max_ns\":%" PRIu64 ",\"read_overhead_ns\":%" PRIu64 "}",
		p->received, p->rising, p->lost, p->missing, p->foreign,
		p->st.min, p->st.p50, p->st.p99, p->st.p999, p->st.max, p->st.avg, over,
		p->order_errors, p->before_edge, p->irq_delay_max, p->read_ns);
}

/* One entry of a result's "stages" array: @name and its figures. */
static void print_stats_json(FILE *f, const char *name, const struct lat_stats *st)
{
	fprintf(f, "{\"stage\":\"%s\",\"count\":%zu,\"min_ns\":%" PRIu64
		",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64
		",\"max_ns\":%" PRIu64 ",\"avg_ns\":%" PRIu64 "}",
		name, st->n, st->min, st->p50, st->p99, st->p999, st->max, st->avg);
}


/* Write @text to @path atomically (temporary file, then rename). */
static int write_atomic_tmp(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	FILE *f;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int commit_tmp(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

/* ---- attribution through tracefs ---------------------------------------- */

#define TRACEFS "/sys/kernel/tracing"
#define ATTR_NSPLIT 6

/*
 * Two chains: the event queued by the IRQ thread (threaded), or by the
 * hard-IRQ handler itself, which then wakes the reader (direct: vigil.ko
 * without PREEMPT_RT). Every attributed event has the IRQ -> reader
 * wake-up, reader run and read stages; the threaded ones also the split
 * of the first through their IRQ thread.
 */
enum { AS_THR_WAKE, AS_THR_RUN, AS_THR_READER, AS_IRQ_READER, AS_READER_RUN, AS_READ };

static const char *const attr_split[ATTR_NSPLIT] = {
	"hardirq-to-thread-wakeup",	/* IRQ entry -> IRQ thread woken */
	"thread-wakeup-to-run",		/* -> IRQ thread on a CPU */
	"thread-to-reader-wakeup",	/* -> reader woken by the IRQ thread */
	"hardirq-to-reader-wakeup",	/* IRQ entry -> reader woken (either chain) */
	"reader-wakeup-to-run",		/* -> reader on a CPU */
	"reader-run-to-read",		/* -> read returned, clock read */
};

enum trec_type { TR_IRQ, TR_WAKE, TR_RUN, TR_IRQ_EXIT };

struct trec {
	uint64_t ts;
	size_t idx;	/* position in the trace: its order within a microsecond */
	int type;
	int id;		/* irq, or pid */
	int cpu;	/* the CPU that logged it */
	int task;	/* the pid running when it was logged (the waker) */
	bool hardirq;	/* logged in hard-IRQ context (irq-info flags 'h'/'H') */
};

struct attr {
	struct trec *r;
	size_t n;
	pid_t thr[2][8];	/* IRQ thread pids per path */
	size_t nthr[2];
	uint64_t *split[2][ATTR_NSPLIT];
	size_t nsplit[2];		/* attributed (both chains) */
	size_t ns[2][ATTR_NSPLIT];	/* samples per stage */
	size_t direct[2];		/* of which the hard handler woke the reader */
	struct lat_stats st[2][ATTR_NSPLIT];
	size_t unattributed[2];
	size_t remote[2];	/* IRQ thread ran on another CPU than the IRQ */
};

static int tfs_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return write_file(path, val);
}

/* IRQ number whose action is @name (/proc/interrupts), -1 if none. */
static int irq_by_name(const char *name)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[1024];
	int irq = -1;

	if (!f)
		return -1;
	while (irq < 0 && fgets(line, sizeof(line), f)) {
		char *end;
		long n = strtol(line, &end, 10);
		size_t len = strlen(line), nl = strlen(name);

		while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (end != line && *end == ':' && len >= nl &&
		    !strcmp(line + len - nl, name) &&
		    (len == nl || line[len - nl - 1] == ' ' || line[len - nl - 1] == ','))
			irq = (int)n;
	}
	fclose(f);
	return irq;
}

/* Pids of the kernel threads "irq/@irq-..." (the IRQ's threads). */
static size_t irq_threads(int irq, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char prefix[32];
	size_t n = 0;

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "irq/%d-", irq);
	while (n < max && (de = readdir(d))) {
		char path[300], comm[64];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (!read_file(path, comm, sizeof(comm)) &&
		    !strncmp(comm, prefix, strlen(prefix)))
			pids[n++] = atoi(de->d_name);
	}
	closedir(d);
	return n;
}

/* ---- IRQ thread placement (--irq-cpu) ----------------------------------- */

/*
 * The simulated controller raises both paths' IRQs from one hrtimer, on
 * the CPU that started the train. Its IRQs have no affinity (a chained
 * GPIO irqchip), so the kernel does not bind their threads as it does for
 * an IRQ with an effective affinity: the scheduler keeps each RT thread on
 * the CPU it last ran on, which is chance (vigil's thread since the probe,
 * gpio-cdev's since vigil-lat requested the line). A thread on another CPU
 * than its IRQ is woken with a cross-CPU interrupt, which an emulated
 * guest delivers hundreds of microseconds late: the two paths would not be
 * compared like with like. So the train is started from CPU N and both
 * IRQ threads are bound to CPU N for the run, then given back their
 * affinity.
 */
struct irq_pin {
	pid_t tid[2][8];
	cpu_set_t old[2][8];
	size_t n[2];
};

/* Bind the threads of the IRQs named @names[k] to @cpu, remembering their
 * affinity. A message names what failed. */
static int irq_pin(struct irq_pin *pin, const char *const names[2], int cpu)
{
	cpu_set_t set;
	size_t k, i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	for (k = 0; k < 2; k++) {
		int irq;

		if (!names[k])
			continue;
		irq = irq_by_name(names[k]);
		if (irq < 0) {
			fprintf(stderr, "vigil-lat: --irq-cpu: no IRQ named %s in /proc/interrupts\n",
				names[k]);
			return -ENOENT;
		}
		/*
		 * None: a nested-threaded IRQ (a controller that can sleep)
		 * runs its handler in the controller's own thread.
		 */
		pin->n[k] = irq_threads(irq, pin->tid[k], 8);
		for (i = 0; i < pin->n[k]; i++) {
			if (sched_getaffinity(pin->tid[k][i], sizeof(pin->old[k][i]),
					      &pin->old[k][i]) ||
			    sched_setaffinity(pin->tid[k][i], sizeof(set), &set)) {
				fprintf(stderr, "vigil-lat: --irq-cpu %d: IRQ %d's thread %d: %s\n",
					cpu, irq, pin->tid[k][i], strerror(errno));
				pin->n[k] = i;
				return -errno;
			}
		}
	}
	return 0;
}

static void irq_unpin(struct irq_pin *pin)
{
	size_t k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; i < pin->n[k]; i++)
			sched_setaffinity(pin->tid[k][i], sizeof(pin->old[k][i]),
					  &pin->old[k][i]);
	memset(pin->n, 0, sizeof(pin->n));
}

/* Write @cmd to @path from CPU @cpu (-1: wherever this thread runs). */
static int write_file_on(const char *path, const char *cmd, int cpu)
{
	cpu_set_t old, set;
	int ret;

	if (cpu < 0)
		return write_file(path, cmd);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_getaffinity_np(pthread_self(), sizeof(old), &old) ||
	    pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return -EINVAL;
	ret = write_file(path, cmd);
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	return ret;
}

/*
 * Start tracing: the mono clock (CLOCK_MONOTONIC, as the IRQ timestamps),
 * irq_handler_entry, sched_waking and sched_switch. sched_waking, not
 * sched_wakeup: it is logged by the waker when it wakes the task;
 * sched_wakeup is logged when the task is queued on its CPU, which for a
 * task on another CPU is after the cross-CPU interrupt, so that delivery
 * would be counted in the waker's stage. A clear message for a kernel or
 * a mount without tracefs or these events.
 */
static int attr_start(void)
{
	static const char *const ev[] = {
		"events/irq/irq_handler_entry/enable",
		"events/irq/irq_handler_exit/enable",
		"events/sched/sched_waking/enable",
		"events/sched/sched_switch/enable",
	};
	char buf[512];
	size_t i;
	int ret;

	if (access(TRACEFS "/trace", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/trace", W_OK)) {
		fprintf(stderr, "vigil-lat: --attribute: %s/trace: %s (tracefs not mounted, or not root)\n",
			TRACEFS, strerror(errno));
		return -ENOENT;
	}
	if (read_file(TRACEFS "/trace_clock", buf, sizeof(buf)) ||
	    !strstr(buf, "mono")) {
		fprintf(stderr, "vigil-lat: --attribute: the kernel has no 'mono' trace clock\n");
		return -ENOENT;
	}
	tfs_write("tracing_on", "0");
	ret = tfs_write("trace_clock", "mono");
	if (!ret)
		ret = tfs_write("buffer_size_kb", "8192");
	if (!ret)
		ret = tfs_write("trace", "");
	for (i = 0; !ret && i < sizeof(ev) / sizeof(ev[0]); i++) {
		ret = tfs_write(ev[i], "1");
		if (ret)
			fprintf(stderr, "vigil-lat: --attribute: %s/%s: %s (kernel without this event)\n",
				TRACEFS, ev[i], strerror(-ret));
	}
	if (!ret)
		ret = tfs_write("tracing_on", "1");
	return ret;
}

static void attr_stop(void)
{
	tfs_write("tracing_on", "0");
	tfs_write("events/irq/irq_handler_entry/enable", "0");
	tfs_write("events/irq/irq_handler_exit/enable", "0");
	tfs_write("events/sched/sched_waking/enable", "0");
	tfs_write("events/sched/sched_switch/enable", "0");
}

static bool attr_wanted(const struct attr *a, const struct lat_path *p[2],
			int type, int id)
{
	size_t k, i;

	for (k = 0; k < 2; k++) {
		if (!p[k])
			continue;
		if ((type == TR_IRQ || type == TR_IRQ_EXIT) && id == p[k]->irq)
			return true;
		if (type == TR_IRQ || type == TR_IRQ_EXIT)
			continue;
		if (id == p[k]->tid)
			return true;
		for (i = 0; i < a->nthr[k]; i++)
			if (id == a->thr[k][i])
				return true;
	}
	return false;
}

/* "  comm-pid  [001] d.h1.  123.456789: irq_handler_entry: irq=45 name=x" */
/*
 * The pid in the TASK-PID column ("  comm-1234  [001] ...", the comm may
 * hold '-' and spaces) of a trace line whose CPU field closes at @c; -1
 * if there is none.
 */
static int trace_task(const char *line, const char *c)
{
	const char *end = c - 4, *p;

	if (end <= line || *end != '[')
		return -1;
	while (end > line && end[-1] == ' ')
		end--;
	for (p = end; p > line && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p == end || p == line || p[-1] != '-')
		return -1;
	return atoi(p);
}

static int attr_read(struct attr *a, const struct lat_path *p[2])
{
	FILE *f = fopen(TRACEFS "/trace", "re");
	char line[1024];
	size_t cap = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "]"), *ev, *end;
		unsigned long sec, usec;
		struct trec r;
		int id;

		if (line[0] == '#' || !c)
			continue;
		r.cpu = c > line + 3 && c[-4] == '[' ? atoi(c - 3) : -1;
		r.task = trace_task(line, c);
		/* "] d.h2. ": the third flag is the context */
		r.hardirq = c[1] == ' ' && c[2] && c[2] != ' ' && c[3] && c[3] != ' ' &&
			    (c[4] == 'h' || c[4] == 'H');
		/* the timestamp: the token before the event name */
		ev = strstr(c, ": ");
		if (!ev)
			continue;
		end = ev;
		while (end > c && end[-1] != ' ')
			end--;
		if (sscanf(end, "%lu.%lu:", &sec, &usec) != 2)
			continue;
		r.ts = (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull;
		ev += 2;
		if (!strncmp(ev, "irq_handler_entry:", 18) &&
		    (c = strstr(ev, "irq=")) && sscanf(c, "irq=%d", &id) == 1) {
			r.type = TR_IRQ;
		} else if (!strncmp(ev, "irq_handler_exit:", 17) &&
			   (c = strstr(ev, "irq=")) && sscanf(c, "irq=%d", &id) == 1) {
			r.type = TR_IRQ_EXIT;
		} else if (!strncmp(ev, "sched_waking:", 13) &&
			   (c = strstr(ev, " pid=")) &&
			   sscanf(c, " pid=%d", &id) == 1) {
			r.type = TR_WAKE;
		} else if (!strncmp(ev, "sched_switch:", 13) &&
			   (c = strstr(ev, "next_pid=")) &&
			   sscanf(c, "next_pid=%d", &id) == 1) {
			r.type = TR_RUN;
		} else {
			continue;
		}
		r.id = id;
		if (!attr_wanted(a, p, r.type, id))
			continue;
		if (a->n == cap) {
			struct trec *nr;

			cap = cap ? 2 * cap : 4096;
			nr = realloc(a->r, cap * sizeof(*nr));
			if (!nr) {
				fclose(f);
				return -ENOMEM;
			}
			a->r = nr;
		}
		r.idx = a->n;
		a->r[a->n++] = r;
	}
	fclose(f);
	return 0;
}

/*
 * Last record with ts in [@t, @until] matching, searched back from the
 * end of that window; -1 if none. Records are sorted by time.
 */
static long attr_find_last(const struct attr *a, uint64_t t, uint64_t until,
			   int type, const pid_t *ids, size_t nids)
{
	size_t lo = 0, hi = a->n, k;

	while (lo < hi) {	/* the first record after @until */
		size_t mid = (lo + hi) / 2;

		if (a->r[mid].ts <= until)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && a->r[lo].ts >= t) {
		if (a->r[lo].type != type)
			continue;
		for (k = 0; k < nids; k++)
			if (a->r[lo].id == ids[k])
				return (long)lo;
	}
	return -1;
}

static bool pid_in(pid_t pid, const pid_t *ids, size_t nids)
{
	for (size_t k = 0; k < nids; k++)
		if (ids[k] == pid)
			return true;
	return false;
}

/*
 * Whether record @w was logged inside the handler whose entry is record
 * @entry: before that IRQ's exit on the same CPU. Not so for a wake-up in
 * another hard IRQ (a timer's) on that CPU after the handler returned.
 */
static bool attr_in_handler(const struct attr *a, long entry, long w)
{
	long i;

	if (w <= entry)
		return false;
	for (i = entry + 1; i < (long)a->n; i++)
		if (a->r[i].type == TR_IRQ_EXIT && a->r[i].id == a->r[entry].id &&
		    a->r[i].cpu == a->r[entry].cpu)
			return w < i;
	return false;
}

/* First record at or after index @from with ts >= @t matching; -1 if none. */
static long attr_find(const struct attr *a, size_t from, uint64_t t,
		      uint64_t until, int type, const pid_t *ids, size_t nids)
{
	size_t i, k;

	for (i = from; i < a->n && a->r[i].ts <= until; i++) {
		if (a->r[i].ts < t || a->r[i].type != type)
			continue;
		for (k = 0; k < nids; k++)
			if (a->r[i].id == ids[k])
				return (long)i;
	}
	return -1;
}

/* First record index with ts >= @t (records are in time order per CPU,
 * nearly in order overall: start a little before). */
static size_t attr_lower(const struct attr *a, uint64_t t)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->r[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 64 ? lo - 64 : 0;
}

static int cmp_trec(const void *x, const void *y)
{
	const struct trec *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Split every received event of path @k: the IRQ entry at (or just
 * before: the trace clock has microseconds) the kernel's IRQ timestamp;
 * the reader's switch-in that read the event and the wake-up before it;
 * that wake-up either by the IRQ thread, after its wake-up and switch-in
 * (threaded), or by the hard handler itself, between the IRQ's entry and
 * exit on its CPU (direct). Events whose chain is incomplete or whose
 * reader was woken by anything else (it was already running, a batch, an
 * IRQ thread that was running already, a timer) are counted as
 * unattributed.
 */
static int attr_split_path(struct attr *a, int k, const struct lat_path *p)
{
	size_t i, m;
	pid_t reader = p->tid;

	for (m = 0; m < ATTR_NSPLIT; m++) {
		a->split[k][m] = calloc(p->n ? p->n : 1, sizeof(uint64_t));
		if (!a->split[k][m])
			return -ENOMEM;
	}
	for (i = 0; i < p->n; i++) {
		const struct lat_event *e = &p->ev[i];
		uint64_t t0, rw, rr;
		bool other_cpu = false;
		long irq = -1, r, tw, tr = -1, w;
		size_t j = attr_lower(a, e->irq_ns - 1000000);
		pid_t irqid = p->irq;

		/* not one of the train's edges (analyse()) */
		if (!e->counted)
			continue;
		/* the last IRQ entry at or before the timestamp (+ 1 us) */
		for (; j < a->n && a->r[j].ts <= e->irq_ns + 1000; j++)
			if (a->r[j].type == TR_IRQ && a->r[j].id == irqid)
				irq = (long)j;
		if (irq < 0 || e->irq_ns - a->r[irq].ts > 1000000)
			goto miss;
		t0 = a->r[irq].ts;
		/*
		 * Back from the read: the reader's last switch-in before it
		 * (the run that read the event) and the wake-up that run
		 * followed. Searching forward from the IRQ would take any
		 * earlier wake-up, e.g. its poll() timeout's hrtimer (hard IRQ)
		 * firing while the IRQ thread waited for a CPU, for the event's.
		 */
		r = attr_find_last(a, t0, e->recv_ns, TR_RUN, &reader, 1);
		if (r < 0)
			goto miss;
		rr = a->r[r].ts;
		w = attr_find_last(a, t0, rr, TR_WAKE, &reader, 1);
		if (w < 0)
			goto miss;
		rw = a->r[w].ts;
		tw = attr_find(a, irq, t0, rw, TR_WAKE, a->thr[k], a->nthr[k]);
		if (tw >= 0)
			tr = attr_find(a, tw, a->r[tw].ts, rw, TR_RUN, a->thr[k],
				       a->nthr[k]);
		if (tr >= 0 && !a->r[w].hardirq &&
		    pid_in(a->r[w].task, a->thr[k], a->nthr[k])) {
			/* threaded: woken by its IRQ thread, after that ran */
			other_cpu = a->r[tr].cpu != a->r[irq].cpu;
			a->split[k][AS_THR_WAKE][a->ns[k][AS_THR_WAKE]++] = a->r[tw].ts - t0;
			a->split[k][AS_THR_RUN][a->ns[k][AS_THR_RUN]++] = a->r[tr].ts - a->r[tw].ts;
			a->split[k][AS_THR_READER][a->ns[k][AS_THR_READER]++] = rw - a->r[tr].ts;
		} else if (a->r[w].hardirq && a->r[w].cpu == a->r[irq].cpu &&
			   attr_in_handler(a, irq, w)) {
			/* direct: woken by the hard handler itself */
			a->direct[k]++;
		} else {
			/* woken by something else: a record is missing */
			goto miss;
		}
		a->split[k][AS_IRQ_READER][a->ns[k][AS_IRQ_READER]++] = rw - t0;
		a->split[k][AS_READER_RUN][a->ns[k][AS_READER_RUN]++] = rr - rw;
		a->split[k][AS_READ][a->ns[k][AS_READ]++] = e->recv_ns > rr ? e->recv_ns - rr : 0;
		a->nsplit[k]++;
		a->remote[k] += other_cpu;
		continue;
miss:
		a->unattributed[k]++;
	}
	for (m = 0; m < ATTR_NSPLIT; m++)
		lat_stats_compute(a->split[k][m], a->ns[k][m], &a->st[k][m]);
	return 0;
}

static int attr_analyse(struct attr *a, const struct lat_path *p[2])
{
	int k, ret;

	ret = attr_read(a, p);
	if (ret)
		return ret;
	qsort(a->r, a->n, sizeof(*a->r), cmp_trec);
	for (k = 0; k < 2; k++) {
		if (!p[k])
			continue;
		ret = attr_split_path(a, k, p[k]);
		if (ret)
			return ret;
	}
	return 0;
}

static void attr_free(struct attr *a)
{
	int k, m;

	free(a->r);
	for (k = 0; k < 2; k++)
		for (m = 0; m < ATTR_NSPLIT; m++)
			free(a->split[k][m]);
}

static void attr_json(FILE *f, const struct attr *a, const struct lat_path *p[2])
{
	int k, m;

	for (k = 0; k < 2; k++) {
		if (!p[k])
			continue;
		for (m = 0; m < ATTR_NSPLIT; m++) {
			char name[128];

			snprintf(name, sizeof(name), "%s.%s", p[k]->stage, attr_split[m]);
			fputc(',', f);
			print_stats_json(f, name, &a->st[k][m]);
		}
	}
}

/* ---- vigil-lat pir ------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-lat pir [options]\n"
"       vigil-lat compare A.json B.json\n"
"       vigil-lat overhead [-n N] [--json]\n"
"       vigil-lat wake [-d DEV] [-c CYCLES] [--fps N] [--hist-max US]\n"
"                      [--attribute] [-o PREFIX] [--json]\n"
"       vigil-lat frame [--hist-max US] [--ktrace KTRACE] [-o PREFIX] [--json]\n"
"                       TRACE\n"
"       vigil-lat event [--hist-max US] [-o PREFIX] [--json] TRACE\n"
"       vigil-lat ktrace on PID | off KTRACE\n"
"pir options:\n"
"  -d, --device DEV     capture node (default /dev/video0)\n"
"  -c, --count N        pulses (default 1000)\n"
"  -r, --rate HZ        pulses per second (default 100)\n"
"  -w, --width US       pulse width (default half the period)\n"
"  -P, --prio N         SCHED_FIFO priority of the reader threads\n"
"  -a, --cpu N          pin the reader threads to CPU N\n"
"  -m, --mlock          mlockall(MCL_CURRENT | MCL_FUTURE)\n"
"  -t, --timeout S      give up S seconds after the train ends (default 2)\n"
"  -l, --load KIND      none, cpu, mem, io (stress-ng), sched (hackbench) or\n"
"                       vigild (recording this camera's alarms, streaming\n"
"                       /api/live to curl), running during the train\n"
"                       (default none)\n"
"      --hist-max US    histogram rows, 1 us each (default %d)\n"
"  -o, --output PREFIX  write PREFIX.json and PREFIX.hist (cyclictest -h)\n"
"      --attribute      split each latency with tracefs: hard IRQ, IRQ thread\n"
"                       wake-up and run (if it queues the event), reader\n"
"                       wake-up and run, read\n"
"      --irq-cpu N|any  start the train from CPU N and bind both paths' IRQ\n"
"                       threads to it for the run (default 0); any: leave\n"
"                       them where the scheduler put them\n"
"      --no-gpio        V4L2 path only\n"
"      --dump FILE      one line per received event\n"
"      --json           print the JSON result on stdout\n"
"overhead options:\n"
"  -n, --samples N      iterations (default %d)\n"
"wake: PIR edge in standby -> first full-rate frame, CYCLES times (default\n"
"  20) at --fps N (default 30); histogram rows default 50000 us;\n"
"  --attribute splits frame -> DQBUF with tracefs: vb2_buf_done, reader\n"
"  wake-up and run, DQBUF; and IRQ -> full rate: IRQ thread wake-up, run\n"
"frame: buffer EOF timestamp -> vigild -> detection done -> fusion and the\n"
"  events it emitted done, and EOF -> event for alarms a frame started, from\n"
"  vigild --trace TRACE; histogram rows default 100000 us; --ktrace KTRACE\n"
"  splits EOF -> vigild with the kernel's records: vb2_buf_done, the loop's\n"
"  wake-up and run, its io_uring CQE, VIDIOC_DQBUF, the callback\n"
"ktrace: on PID records those kernel events for vigild's loop thread PID in\n"
"  a tracefs instance of its own; off KTRACE writes them to KTRACE\n"
"event: PIR IRQ -> vigild -> fused event -> sinks done, and -> the clip\n"
"  bytes up to the alarm's start fsynced, from vigild --trace TRACE (with\n"
"  [record] dir and a PIR policy); histogram rows default 100000 us\n",
		HIST_MAX_US_DEFAULT, OVH_N);
}

static int parse_uint(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
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
		{ "load", required_argument, NULL, 'l' },
		{ "hist-max", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "attribute", no_argument, NULL, 'A' },
		{ "no-gpio", no_argument, NULL, 'G' },
		{ "irq-cpu", required_argument, NULL, 'I' },
		{ "dump", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int u;
	int c;
	size_t k;

	while ((c = getopt_long(argc, argv, "d:c:r:w:P:a:mt:l:o:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'c':
			if (parse_uint(optarg, VIGIL_GPIO_SIM_TRAIN_MAX, &o->count))
				return -EINVAL;
			break;
		case 'r': o->rate = strtod(optarg, NULL); break;
		case 'w':
			if (parse_uint(optarg, UINT_MAX, &o->width_us))
				return -EINVAL;
			break;
		case 'P': o->prio = atoi(optarg); break;
		case 'a': o->cpu = atoi(optarg); break;
		case 'm': o->mlock = true; break;
		case 't':
			if (parse_uint(optarg, 3600, &o->timeout_s))
				return -EINVAL;
			break;
		case 'l':
			for (k = 0; k < sizeof(load_names) / sizeof(load_names[0]); k++)
				if (!strcmp(optarg, load_names[k]))
					break;
			if (k == sizeof(load_names) / sizeof(load_names[0])) {
				fprintf(stderr, "vigil-lat: --load %s: not none, cpu, mem, io, sched or vigild\n",
					optarg);
				return -EINVAL;
			}
			o->load = k;
			break;
		case 'H':
			if (parse_uint(optarg, 1000000, &u) || !u)
				return -EINVAL;
			o->hist_max_us = u;
			break;
		case 'o': o->output = optarg; break;
		case 'A': o->attribute = true; break;
		case 'G': o->gpio = false; break;
		case 'I':
			if (!strcmp(optarg, "any")) {
				o->irq_cpu = -1;
			} else if (parse_uint(optarg, CPU_SETSIZE - 1, &u)) {
				fprintf(stderr, "vigil-lat: --irq-cpu %s: not a CPU number or any\n",
					optarg);
				return -EINVAL;
			} else {
				o->irq_cpu = (int)u;
			}
			break;
		case 'D': o->dump = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "pir"))
		return -EINVAL;
	if (!o->count || o->rate <= 0)
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

/* The JSON result of a pir run, malloc'ed; NULL on ENOMEM. */
static char *pir_json(const struct lat_opts *o, unsigned int period_us,
		      size_t nedges, const struct lat_path *v4l2,
		      const struct lat_path *gpio, uint64_t clock_ns,
		      const struct load *load, const char *load0,
		      const char *load1, const struct attr *attr,
		      int argc, char **argv)
{
	const struct lat_path *ap[2] = { v4l2, o->gpio ? gpio : NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t per = clock_ns + v4l2->read_ns;
	int i;

	if (!f)
		return NULL;
	if (o->gpio && clock_ns + gpio->read_ns > per)
		per = clock_ns + gpio->read_ns;
	fprintf(f, "{\"tool\":\"vigil-lat\",\"mode\":\"pir\",\"argv\":[");
	for (i = 0; i < argc; i++) {
		if (i)
			fputc(',', f);
		json_str(f, argv[i]);
	}
	fprintf(f, "],\"settings\":{\"device\":");
	json_str(f, o->dev);
	fprintf(f, ",\"count\":%u,\"rate_hz\":%.3f,\"period_us\":%u,\"width_us\":%u,"
		"\"prio\":%d,\"cpu\":%d,\"irq_cpu\":%d,\"mlock\":%s,\"gpio\":%s,\"hist_max_us\":%u,"
		"\"load\":\"%s\",\"load_command\":",
		o->count, o->rate, period_us, o->width_us, o->prio, o->cpu,
		o->irq_cpu,
		o->mlock ? "true" : "false", o->gpio ? "true" : "false",
		o->hist_max_us, load_names[o->load]);
	json_str(f, load->cmd);
	fprintf(f, "},");
	print_system(f, load0, load1);
	fprintf(f, ",\"emitted\":%zu,\"pulses\":%u,\"v4l2\":", nedges, o->count);
	print_path_json(f, v4l2, o->hist_max_us);
	if (o->gpio) {
		fprintf(f, ",\"gpiocdev\":");
		print_path_json(f, gpio, o->hist_max_us);
	}
	fprintf(f, ",\"gpio_uapi\":%s", o->gpio ? "\"v2\"" : "null");
	fprintf(f, ",\"overhead\":{\"clock_read_ns\":%" PRIu64
		",\"v4l2_empty_read_ns\":%" PRIu64, clock_ns, v4l2->read_ns);
	if (o->gpio)
		fprintf(f, ",\"gpiocdev_empty_read_ns\":%" PRIu64, gpio->read_ns);
	fprintf(f, ",\"per_sample_ns\":%" PRIu64 "},\"stages\":[", per);
	print_stats_json(f, v4l2->stage, &v4l2->st);
	if (o->gpio) {
		fputc(',', f);
		print_stats_json(f, gpio->stage, &gpio->st);
	}
	if (attr)
		attr_json(f, attr, ap);
	fprintf(f, "]");
	if (attr) {
		int k;

		fprintf(f, ",\"attribution\":{\"trace_clock\":\"mono\",\"resolution_ns\":1000");
		for (k = 0; k < 2; k++) {
			size_t t;

			if (!ap[k])
				continue;
			fprintf(f, ",\"%s\":{\"irq\":%d,\"irq_threads\":[", ap[k]->name,
				ap[k]->irq);
			for (t = 0; t < attr->nthr[k]; t++)
				fprintf(f, "%s%d", t ? "," : "", attr->thr[k][t]);
			fprintf(f, "],\"reader_tid\":%d,\"attributed\":%zu,\"unattributed\":%zu,"
				"\"threaded\":%zu,\"direct\":%zu,\"thread_on_other_cpu\":%zu",
				ap[k]->tid, attr->nsplit[k], attr->unattributed[k],
				attr->nsplit[k] - attr->direct[k], attr->direct[k],
				attr->remote[k]);
			/* kpir's name for direct (docs/latency.md, its subsection) */
			fprintf(f, ",\"hardirq_delivered\":%zu}", attr->direct[k]);
		}
		fprintf(f, "}");
	}
	fprintf(f, "}\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* PREFIX.json and PREFIX.hist (@ncols columns): both written, or neither. */
static int write_outputs(const char *prefix, const char *json,
			 const char *const *names, const uint64_t *const *samples,
			 const size_t *n, size_t ncols, unsigned int hist_max_us)
{
	char jpath[PATH_MAX], hpath[PATH_MAX], *hist = NULL;
	size_t hlen = 0;
	FILE *f;
	int ret;

	snprintf(jpath, sizeof(jpath), "%s.json", prefix);
	snprintf(hpath, sizeof(hpath), "%s.hist", prefix);
	f = open_memstream(&hist, &hlen);
	if (!f)
		return -ENOMEM;
	ret = lat_hist_write(f, names, samples, n, ncols, hist_max_us);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = write_atomic_tmp(hpath, hist, hlen);
	free(hist);
	if (ret) {
		fprintf(stderr, "vigil-lat: %s: %s\n", hpath, strerror(-ret));
		return ret;
	}
	ret = write_atomic_tmp(jpath, json, strlen(json));
	if (ret) {
		fprintf(stderr, "vigil-lat: %s: %s\n", jpath, strerror(-ret));
		snprintf(hpath + strlen(hpath), sizeof(hpath) - strlen(hpath), ".tmp");
		unlink(hpath);
		return ret;
	}
	ret = commit_tmp(hpath);
	if (!ret)
		ret = commit_tmp(jpath);
	if (ret)
		fprintf(stderr, "vigil-lat: rename to %s: %s\n", prefix,
			strerror(-ret));
	return ret;
}

static int cmd_pir(int argc, char **argv)
{
	struct lat_opts o = {
		.dev = "/dev/video0", .count = 1000, .rate = 100, .cpu = -1,
		.irq_cpu = 0, .gpio = true, .timeout_s = 2, .hist_max_us = HIST_MAX_US_DEFAULT,
	};
	struct lat_path v4l2 = { .name = "v4l2", .stage = "pir.v4l2", .fd = -1 };
	struct lat_path gpio = { .name = "gpiocdev", .stage = "pir.gpiocdev-v2",
				 .fd = -1 };
	struct thread_arg va = { .path = &v4l2, .opts = &o };
	struct thread_arg ga = { .path = &gpio, .opts = &o };
	struct v4l2_event_subscription sub = { .type = VIGIL_EVENT_PIR };
	struct load load = { .kind = LOAD_NONE };
	struct attr attr = { 0 };
	struct irq_pin pin = { 0 };
	bool tracing = false;
	char irq_name[64];
	char dir[256], path[300], label[64], cmd[96];
	char err[512], load0[64] = "null", load1[64] = "null";
	unsigned int id = 0, period_us;
	uint64_t *edges = NULL, limit, clock_ns = 0;
	size_t nedges = 0;
	bool v4l2_started = false, gpio_started = false;
	char *json = NULL;
	FILE *dump = NULL;
	int ret, rc = 1;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	load.kind = o.load;
	load.dev = o.dev;
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

	if (access(o.dev, F_OK)) {
		fprintf(stderr, "vigil-lat: %s: %s\n", o.dev, strerror(errno));
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
	snprintf(path, sizeof(path), "%s/train", dir);
	if (access(path, W_OK)) {
		fprintf(stderr, "vigil-lat: %s: %s (debugfs mounted? virtual board loaded? root?)\n",
			path, strerror(errno));
		return 1;
	}

	v4l2.fd = open(o.dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v4l2.fd < 0) {
		fprintf(stderr, "vigil-lat: open %s: %s\n", o.dev,
			strerror(errno));
		return 1;
	}
	if (ioctl(v4l2.fd, VIDIOC_SUBSCRIBE_EVENT, &sub) < 0) {
		fprintf(stderr, "vigil-lat: %s: subscribe VIGIL_EVENT_PIR: %s\n",
			o.dev, strerror(errno));
		goto out;
	}

	if (o.gpio) {
		gpio.fd = gpio_v2_open(label, VIGIL_GPIO_LINE_PIR_MIRROR, err,
				       sizeof(err));
		if (gpio.fd < 0) {
			fprintf(stderr, "vigil-lat: %s\n", err);
			goto out;
		}
	}

	/* the cost of measuring, before anything else runs */
	clock_ns = ovh_clock(OVH_N, NULL);
	v4l2.read_ns = ovh_v4l2(v4l2.fd, OVH_N / 10);
	if (o.gpio)
		gpio.read_ns = ovh_read(gpio.fd, OVH_N / 10, NULL);
	if (v4l2.read_ns == UINT64_MAX || gpio.read_ns == UINT64_MAX) {
		fprintf(stderr, "vigil-lat: measuring the read overhead: events pending before the train (another PIR source active?)\n");
		goto out;
	}

	if (o.attribute) {
		const struct lat_path *ap[2] = { &v4l2, o.gpio ? &gpio : NULL };
		int k;

		snprintf(irq_name, sizeof(irq_name), "vigil-pir:vigil.%u", id);
		v4l2.irq_name = irq_name;
		gpio.irq_name = "vigil-lat";	/* gpio-cdev: the consumer */
		for (k = 0; k < 2; k++) {
			struct lat_path *p = (struct lat_path *)ap[k];

			if (!p)
				continue;
			p->irq = irq_by_name(p->irq_name);
			if (p->irq < 0) {
				fprintf(stderr, "vigil-lat: --attribute: no IRQ named %s in /proc/interrupts\n",
					p->irq_name);
				goto out;
			}
			attr.nthr[k] = irq_threads(p->irq, attr.thr[k], 8);
			if (!attr.nthr[k]) {
				fprintf(stderr, "vigil-lat: --attribute: IRQ %d (%s) has no IRQ thread\n",
					p->irq, p->irq_name);
				goto out;
			}
		}
		if (attr_start())
			goto out;
		tracing = true;
	}

	if (o.irq_cpu >= 0) {
		char pin_name[64];
		const char *names[2] = { pin_name, o.gpio ? "vigil-lat" : NULL };

		snprintf(pin_name, sizeof(pin_name), "vigil-pir:vigil.%u", id);
		if (irq_pin(&pin, names, o.irq_cpu))
			goto out;
	}

	ret = load_start(&load, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigil-lat: %s\n", err);
		goto out;
	}
	loadavg(load0, sizeof(load0));

	if (pthread_create(&v4l2.thread, NULL, v4l2_thread, &va))
		goto out;
	v4l2_started = true;
	if (o.gpio) {
		if (pthread_create(&gpio.thread, NULL, gpio_thread, &ga))
			goto out;
		gpio_started = true;
	}

	snprintf(cmd, sizeof(cmd), "%u %u %u", o.count, period_us, o.width_us);
	ret = write_file_on(path, cmd, o.irq_cpu);
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
	loadavg(load1, sizeof(load1));
	rc = 0;
out:
	if (tracing)
		attr_stop();
	irq_unpin(&pin);
	load_stop(&load);
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
	if (!rc && (analyse(&v4l2, edges, nedges, period_us * 1000ull, dump) ||
		    (o.gpio && analyse(&gpio, edges, nedges, period_us * 1000ull, dump))))
		rc = 1;
	if (dump)
		fclose(dump);
	if (!rc && tracing) {
		const struct lat_path *ap[2] = { &v4l2, o.gpio ? &gpio : NULL };

		ret = attr_analyse(&attr, ap);
		if (ret) {
			fprintf(stderr, "vigil-lat: --attribute: reading the trace: %s\n",
				strerror(-ret));
			rc = 1;
		}
	}
	if (!rc) {
		json = pir_json(&o, period_us, nedges, &v4l2, &gpio, clock_ns,
				&load, load0, load1, tracing ? &attr : NULL,
				argc, argv);
		if (!json)
			rc = 1;
	}
	if (!rc && o.output) {
		const char *names[2] = { v4l2.stage, gpio.stage };
		const uint64_t *samples[2] = { v4l2.lat, gpio.lat };
		size_t n[2] = { v4l2.st.n, gpio.st.n };

		if (write_outputs(o.output, json, names, samples, n,
				  o.gpio ? 2 : 1, o.hist_max_us))
			rc = 1;
	}
	if (!rc && o.json) {
		fputs(json, stdout);
	} else if (!rc) {
		printf("emitted %zu edges (%u pulses, %u us period, %u us width), load %s\n",
		       nedges, o.count, period_us, o.width_us, load_names[o.load]);
		print_path_text(&v4l2);
		if (o.gpio)
			print_path_text(&gpio);
		printf("overhead: clock read %" PRIu64 " ns per sample\n",
		       clock_ns);
	}
	attr_free(&attr);
	free(json);
	free(edges);
	free(v4l2.ev);
	free(gpio.ev);
	free(v4l2.lat);
	free(gpio.lat);
	if (gpio.fd >= 0)
		close(gpio.fd);
	close(v4l2.fd);
	return rc;
}

/* ---- vigil-lat wake ------------------------------------------------------ */

#define WAKE_NBUFS 4
#define WAKE_NSTAGES 3

static const char *const wake_stages[WAKE_NSTAGES] = {
	"wake.irq-to-fullrate",	/* PIR IRQ -> IRQ thread set full rate */
	"wake.irq-to-frame",	/* PIR IRQ -> first full-rate frame (EOF) */
	"wake.frame-to-dqbuf",	/* that frame's EOF -> DQBUF in the reader */
};

static int wake_ctrl(int fd, uint32_t id, int32_t val)
{
	struct v4l2_control c = { .id = id, .value = val };

	if (ioctl(fd, VIDIOC_S_CTRL, &c) < 0) {
		fprintf(stderr, "vigil-lat: S_CTRL 0x%x = %d: %s\n", id, val,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int wake_start(int fd, unsigned int fps)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = {
		.count = WAKE_NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_GREY;
	fmt.fmt.pix.width = 160;
	fmt.fmt.pix.height = 120;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = fps;
	if (ioctl(fd, VIDIOC_S_FMT, &fmt) < 0 ||
	    ioctl(fd, VIDIOC_S_PARM, &parm) < 0 ||
	    ioctl(fd, VIDIOC_REQBUFS, &req) < 0)
		goto fail;
	for (i = 0; i < req.count; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		if (ioctl(fd, VIDIOC_QBUF, &b) < 0)
			goto fail;
	}
	if (ioctl(fd, VIDIOC_STREAMON, &type) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "vigil-lat: start streaming 160x120 GREY at %u fps: %s\n",
		fps, strerror(errno));
	return -errno;
}

/*
 * Wait up to @timeout_ns for a frame or an event: 1 with *@b (requeued) and
 * *@dq_ns (CLOCK_MONOTONIC right after DQBUF), 2 with *@ev, 0 on timeout,
 * -errno.
 */
static int wake_next(int fd, uint64_t timeout_ns, struct v4l2_buffer *b,
		     uint64_t *dq_ns, struct v4l2_event *ev)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLPRI };
	int ret = poll(&pfd, 1, (int)(timeout_ns / 1000000));

	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (!ret)
		return 0;
	if (pfd.revents & POLLPRI) {
		memset(ev, 0, sizeof(*ev));
		if (!ioctl(fd, VIDIOC_DQEVENT, ev))
			return 2;
	}
	if (pfd.revents & POLLIN) {
		struct v4l2_buffer q;

		memset(b, 0, sizeof(*b));
		b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b->memory = V4L2_MEMORY_MMAP;
		if (ioctl(fd, VIDIOC_DQBUF, b) < 0)
			return -errno;
		*dq_ns = now_ns();
		q = *b;
		if (ioctl(fd, VIDIOC_QBUF, &q) < 0)
			return -errno;
		return 1;
	}
	return 0;
}

/* Frames for @ns (events are read and dropped). */
static int wake_drain(int fd, uint64_t ns)
{
	uint64_t end = now_ns() + ns, t, dq;
	int frames = 0;

	while ((t = now_ns()) < end) {
		struct v4l2_buffer b;
		struct v4l2_event ev;
		int r = wake_next(fd, end - t, &b, &dq, &ev);

		if (r < 0)
			return r;
		frames += r == 1;
	}
	return frames;
}

#define WAKE_EVENT "events/vigil/vigil_pir_wake/enable"

/* Record the tracepoint vigil:vigil_pir_wake (the wake's kernel times). */
static int wake_trace_start(void)
{
	int ret;

	if (access(TRACEFS "/trace", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/" WAKE_EVENT, W_OK)) {
		fprintf(stderr, "vigil-lat: wake: %s/%s: %s (tracefs not mounted, not root, or a vigil.ko without the tracepoint vigil:vigil_pir_wake)\n",
			TRACEFS, WAKE_EVENT, strerror(errno));
		return -ENOENT;
	}
	ret = tfs_write("trace", "");
	if (!ret)
		ret = tfs_write(WAKE_EVENT, "1");
	if (!ret)
		ret = tfs_write("tracing_on", "1");
	if (ret)
		fprintf(stderr, "vigil-lat: wake: tracefs: %s\n", strerror(-ret));
	return ret;
}

static void wake_trace_stop(void)
{
	tfs_write(WAKE_EVENT, "0");
}

/*
 * The vigil_pir_wake record whose frame has the timestamp @frame_ns (to
 * the microsecond, as the buffer reports it; the record's instance is the
 * driver's, not the board's, number): 0 with the
 * wake's IRQ, switch and frame times, -ENOENT if it is not (yet) there.
 * "... vigil_pir_wake: instance=0 irq_ns=1 wake_ns=2 frame_ns=3 pir_seq=..."
 */
static int wake_trace_find(uint64_t frame_ns, uint64_t t[3])
{
	FILE *f = fopen(TRACEFS "/trace", "re");
	char line[1024];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "vigil_pir_wake: ");
		unsigned long long irq, wake, frame;
		unsigned int inst;

		if (line[0] == '#' || !p)
			continue;
		if (sscanf(p, "vigil_pir_wake: instance=%u irq_ns=%llu wake_ns=%llu frame_ns=%llu",
			   &inst, &irq, &wake, &frame) != 4)
			continue;
		if (frame / 1000 != frame_ns / 1000)
			continue;
		t[0] = irq;
		t[1] = wake;
		t[2] = frame;
		ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * wake --attribute: the reader's side of each wake (the first frame's
 * end-of-frame timestamp -> DQBUF) split through tracefs: vb2:vb2_buf_done
 * of that buffer (the driver handed it back), sched_wakeup of the reader,
 * sched_switch to it, DQBUF returned. The sched events are filtered to the
 * reader's thread, so the trace stays small.
 */
#define WAKE_NSPLIT 4

static const char *const wake_split[WAKE_NSPLIT] = {
	"wake.frame-to-dqbuf.eof-to-buf-done",		/* EOF timestamp -> vb2_buf_done */
	"wake.frame-to-dqbuf.buf-done-to-reader-wakeup",	/* -> the reader woken */
	"wake.frame-to-dqbuf.reader-wakeup-to-run",	/* -> the reader on a CPU */
	"wake.frame-to-dqbuf.reader-run-to-dqbuf",	/* -> DQBUF returned, clock read */
};

/*
 * The IRQ side, wake.irq-to-fullrate, split the same way: vigil's PIR
 * irq_handler_entry, sched_waking of its IRQ thread (logged by the hard
 * handler), sched_switch to it, and the thread switching the sensor to
 * full rate (vigil_pir_wake's wake_ns).
 */
#define WAKE_NIRQ 3

static const char *const wake_irq_split[WAKE_NIRQ] = {
	"wake.irq-to-fullrate.hardirq-to-thread-wakeup",	/* IRQ entry -> IRQ thread woken */
	"wake.irq-to-fullrate.thread-wakeup-to-run",		/* -> IRQ thread on a CPU */
	"wake.irq-to-fullrate.thread-run-to-fullrate",		/* -> full rate set */
};

/* [1], [2], [3], [4] filtered (wake_attr_start()) */
static const char *const wake_attr_ev[] = {
	"events/vb2/vb2_buf_done",
	"events/sched/sched_wakeup",
	"events/sched/sched_switch",
	"events/irq/irq_handler_entry",
	"events/sched/sched_waking",
};

static int wake_attr_set(const char *ev, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", ev, file);
	return tfs_write(path, val);
}

/*
 * Before wake_trace_start(): the mono clock, the events, the filters: the
 * reader @tid's wake-up; the reader's and the PIR IRQ thread @thr's
 * switch-in; IRQ @irq's entry; @thr's wake-up (-1: none).
 */
static int wake_attr_start(pid_t tid, int irq, pid_t thr)
{
	char buf[512], filt[4][64];
	size_t i;
	int ret;

	if (access(TRACEFS "/trace", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (read_file(TRACEFS "/trace_clock", buf, sizeof(buf)) ||
	    !strstr(buf, "mono")) {
		fprintf(stderr, "vigil-lat: wake --attribute: no 'mono' trace clock (tracefs not mounted, or not root?)\n");
		return -ENOENT;
	}
	snprintf(filt[0], sizeof(filt[0]), "pid == %d", (int)tid);
	snprintf(filt[1], sizeof(filt[1]), "next_pid == %d || next_pid == %d", (int)tid,
		 (int)thr);
	snprintf(filt[2], sizeof(filt[2]), "irq == %d", irq);
	snprintf(filt[3], sizeof(filt[3]), "pid == %d", (int)thr);
	tfs_write("tracing_on", "0");
	ret = tfs_write("trace_clock", "mono");
	if (!ret)
		ret = tfs_write("buffer_size_kb", "4096");
	for (i = 0; !ret && i < sizeof(wake_attr_ev) / sizeof(wake_attr_ev[0]); i++) {
		if (i)
			ret = wake_attr_set(wake_attr_ev[i], "filter", filt[i - 1]);
		if (!ret)
			ret = wake_attr_set(wake_attr_ev[i], "enable", "1");
		if (ret)
			fprintf(stderr, "vigil-lat: wake --attribute: %s/%s: %s (kernel or videobuf2 without this event)\n",
				TRACEFS, wake_attr_ev[i], strerror(-ret));
	}
	return ret;
}

static void wake_attr_stop(void)
{
	for (size_t i = 0; i < sizeof(wake_attr_ev) / sizeof(wake_attr_ev[0]); i++) {
		wake_attr_set(wake_attr_ev[i], "enable", "0");
		if (i)
			wake_attr_set(wake_attr_ev[i], "filter", "0");
	}
}

enum { WR_DONE, WR_WAKE, WR_RUN, WR_IRQ, WR_TWAKE, WR_TRUN };

struct wrec {
	uint64_t ts;		/* trace time, CLOCK_MONOTONIC */
	uint64_t buf_ns;	/* WR_DONE: the buffer's timestamp */
	int type;
};

static int cmp_wrec(const void *x, const void *y)
{
	const struct wrec *a = x, *b = y;

	return a->ts < b->ts ? -1 : a->ts > b->ts;
}

/*
 * The trace's vb2_buf_done, sched_wakeup, sched_switch, irq_handler_entry
 * and sched_waking records, sorted; a switch to @thr (the PIR IRQ thread)
 * is WR_TRUN, to the reader WR_RUN.
 */
static int wake_attr_read(struct wrec **out, size_t *n, pid_t thr)
{
	FILE *f = fopen(TRACEFS "/trace", "re");
	struct wrec *r = NULL;
	size_t cap = 0;
	char line[1024];

	*n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "]"), *ev, *end, *t;
		unsigned long sec, usec;
		unsigned long long bts = 0;
		struct wrec w = { 0 };

		if (line[0] == '#' || !c || !(ev = strstr(c, ": ")))
			continue;
		end = ev;
		while (end > c && end[-1] != ' ')
			end--;
		if (sscanf(end, "%lu.%lu:", &sec, &usec) != 2)
			continue;
		w.ts = (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull;
		ev += 2;
		if (!strncmp(ev, "vb2_buf_done:", 13) && (t = strstr(ev, "timestamp = ")) &&
		    sscanf(t, "timestamp = %llu", &bts) == 1) {
			w.type = WR_DONE;
			w.buf_ns = bts;
		} else if (!strncmp(ev, "sched_wakeup:", 13)) {
			w.type = WR_WAKE;
		} else if (!strncmp(ev, "sched_switch:", 13)) {
			t = strstr(ev, "next_pid=");
			w.type = t && atoi(t + 9) == thr ? WR_TRUN : WR_RUN;
		} else if (!strncmp(ev, "irq_handler_entry:", 18)) {
			w.type = WR_IRQ;
		} else if (!strncmp(ev, "sched_waking:", 13)) {
			w.type = WR_TWAKE;
		} else {
			continue;
		}
		if (*n == cap) {
			struct wrec *nr;

			cap = cap ? 2 * cap : 1024;
			nr = realloc(r, cap * sizeof(*nr));
			if (!nr) {
				free(r);
				fclose(f);
				return -ENOMEM;
			}
			r = nr;
		}
		r[(*n)++] = w;
	}
	fclose(f);
	qsort(r, *n, sizeof(*r), cmp_wrec);
	*out = r;
	return 0;
}

/*
 * Split cycle @i: its frame's vb2_buf_done (the buffer timestamp to the
 * microsecond), then the reader's first wake-up and switch-in after it and
 * before DQBUF returned (@dq). 0 with @t, or -ENOENT: the reader was not
 * asleep (already running, never woken) or a record was lost.
 */
static int wake_attr_split(const struct wrec *r, size_t n, uint64_t first,
			   uint64_t dq, uint64_t t[WAKE_NSPLIT])
{
	uint64_t done = 0, wake = 0, run = 0;
	size_t i;

	for (i = 0; i < n && !done; i++)
		if (r[i].type == WR_DONE && r[i].buf_ns / 1000 == first / 1000)
			done = r[i].ts;
	for (; i < n && r[i].ts <= dq && !run; i++) {
		if (!wake && r[i].type == WR_WAKE)
			wake = r[i].ts;
		else if (wake && r[i].type == WR_RUN)
			run = r[i].ts;
	}
	if (!done || !run || dq < run)
		return -ENOENT;
	/* the trace clock has microseconds: EOF may print after buf_done */
	t[0] = done > first ? done - first : 0;
	t[1] = wake - done;
	t[2] = run - wake;
	t[3] = dq - run;
	return 0;
}

/*
 * Split the IRQ side of a cycle: the last entry of the PIR IRQ at or before
 * its timestamp @irq_ns (the trace has microseconds; at most 1 ms before),
 * then its thread's first wake-up and switch-in before @full_ns (full rate
 * set). 0 with @t; 1 if the IRQ thread did not run before full rate was
 * set (the hard handler set it: vigil.ko without PREEMPT_RT); -ENOENT if
 * there is no IRQ entry (a record lost).
 */
static int wake_attr_irq(const struct wrec *r, size_t n, uint64_t irq_ns,
			 uint64_t full_ns, uint64_t t[WAKE_NIRQ])
{
	uint64_t entry = 0, wake = 0, run = 0;
	size_t i, from = n;

	for (i = 0; i < n && r[i].ts <= irq_ns + 1000; i++)
		if (r[i].type == WR_IRQ && r[i].ts + 1000000 >= irq_ns) {
			entry = r[i].ts;
			from = i;
		}
	for (i = from; i < n && r[i].ts <= full_ns && !run; i++) {
		if (!wake && r[i].type == WR_TWAKE)
			wake = r[i].ts;
		else if (wake && r[i].type == WR_TRUN)
			run = r[i].ts;
	}
	if (!entry)
		return -ENOENT;
	if (!run)
		return 1;
	t[0] = wake - entry;
	t[1] = run - wake;
	t[2] = full_ns > run ? full_ns - run : 0;
	return 0;
}

static uint64_t buf_ns(const struct v4l2_buffer *b)
{
	return (uint64_t)b->timestamp.tv_sec * 1000000000ull +
	       (uint64_t)b->timestamp.tv_usec * 1000ull;
}

static int cmd_wake(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "fps", required_argument, NULL, 'f' },
		{ "hist-max", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "attribute", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev = "/dev/video0", *output = NULL;
	const char *names[WAKE_NSTAGES + WAKE_NSPLIT + WAKE_NIRQ];
	uint64_t *first_ns = NULL, *dq_ns = NULL, *irq_ns = NULL, *full_ns = NULL;
	size_t attributed = 0, irq_attributed = 0, irq_direct = 0, nst = WAKE_NSTAGES;
	pid_t thr = -1;
	int irq = -1;
	bool attribute = false;
	unsigned int cycles = 20, fps = 30, hist_max_us = 50000, id, i;
	uint64_t *lat[WAKE_NSTAGES + WAKE_NSPLIT + WAKE_NIRQ] = { NULL };
	struct lat_stats st[WAKE_NSTAGES + WAKE_NSPLIT + WAKE_NIRQ];
	size_t n[WAKE_NSTAGES + WAKE_NSPLIT + WAKE_NIRQ] = { 0 };
	char dir[256], path[300], *json = NULL, load0[64], load1[64];
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	bool json_out = false, streaming = false, tracing = false;
	size_t len = 0;
	int c, fd, k, rc = 1;
	FILE *f;

	optind = 2;
	while ((c = getopt_long(argc, argv, "d:c:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'c':
			if (parse_uint(optarg, 100000, &cycles) || !cycles)
				goto usage;
			break;
		case 'f':
			if (parse_uint(optarg, 1000, &fps) || !fps)
				goto usage;
			break;
		case 'H':
			if (parse_uint(optarg, 10000000, &hist_max_us) || !hist_max_us)
				goto usage;
			break;
		case 'o': output = optarg; break;
		case 'j': json_out = true; break;
		case 'A': attribute = true; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (access(dev, F_OK) || board_id(dev, &id)) {
		fprintf(stderr, "vigil-lat: %s: not a vigil camera\n", dev);
		return 1;
	}
	snprintf(dir, sizeof(dir), DEBUGFS "/vigil-gpio-sim.%u", id);
	snprintf(path, sizeof(path), "%s/train", dir);
	if (access(path, W_OK)) {
		fprintf(stderr, "vigil-lat: %s: %s (debugfs mounted? virtual board loaded? root?)\n",
			path, strerror(errno));
		return 1;
	}
	if (attribute) {
		char name[64];

		nst += WAKE_NSPLIT + WAKE_NIRQ;
		snprintf(name, sizeof(name), "vigil-pir:vigil.%u", id);
		irq = irq_by_name(name);
		if (irq < 0) {
			fprintf(stderr, "vigil-lat: wake --attribute: no IRQ named %s in /proc/interrupts\n",
				name);
			return 1;
		}
		/* none: a nested-threaded IRQ (its IRQ side is unattributed) */
		if (!irq_threads(irq, &thr, 1))
			thr = -1;
	}
	for (k = 0; k < (int)nst; k++) {
		names[k] = k < WAKE_NSTAGES ? wake_stages[k] :
			   k < WAKE_NSTAGES + WAKE_NSPLIT ? wake_split[k - WAKE_NSTAGES] :
			   wake_irq_split[k - WAKE_NSTAGES - WAKE_NSPLIT];
		lat[k] = calloc(cycles, sizeof(*lat[k]));
		if (!lat[k]) {
			fprintf(stderr, "vigil-lat: out of memory\n");
			goto free;
		}
	}
	first_ns = calloc(cycles, sizeof(*first_ns));
	dq_ns = calloc(cycles, sizeof(*dq_ns));
	irq_ns = calloc(cycles, sizeof(*irq_ns));
	full_ns = calloc(cycles, sizeof(*full_ns));
	if (!first_ns || !dq_ns || !irq_ns || !full_ns) {
		fprintf(stderr, "vigil-lat: out of memory\n");
		goto free;
	}
	fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vigil-lat: open %s: %s\n", dev, strerror(errno));
		goto free;
	}
	tracing = true;
	if ((attribute && wake_attr_start(gettid(), irq, thr)) || wake_trace_start())
		goto out;
	if (wake_start(fd, fps))
		goto out;
	streaming = true;
	if (wake_ctrl(fd, VIGIL_CID_STANDBY_FPS, 0) ||
	    wake_ctrl(fd, VIGIL_CID_PIR_WAKE, 1))
		goto out;
	if (wake_drain(fd, 500000000ull) <= 0) {
		fprintf(stderr, "vigil-lat: %s: no frames before standby\n", dev);
		goto out;
	}
	loadavg(load0, sizeof(load0));
	for (i = 0; i < cycles; i++) {
		uint64_t deadline, first = 0, dq = 0, w[3] = { 0 };
		int r;

		if (wake_ctrl(fd, VIGIL_CID_STANDBY, 1))
			goto out;
		/* a frame in flight may still complete; then none may come */
		if (wake_drain(fd, 100000000ull) < 0)
			goto out;
		r = wake_drain(fd, 300000000ull);
		if (r) {
			fprintf(stderr, "vigil-lat: %d frames in standby: the sensor woke without a pulse (a scene with warm objects? select the replay test pattern)\n",
				r);
			goto out;
		}
		r = write_file(path, "1 1000 500");
		if (r) {
			fprintf(stderr, "vigil-lat: %s: %s\n", path, strerror(-r));
			goto out;
		}
		deadline = now_ns() + 2000000000ull;
		while (!first && now_ns() < deadline) {
			struct v4l2_buffer b;
			struct v4l2_event ev;
			uint64_t t;

			r = wake_next(fd, 100000000ull, &b, &t, &ev);
			if (r < 0) {
				fprintf(stderr, "vigil-lat: %s: %s\n", dev, strerror(-r));
				goto out;
			}
			if (r == 1) {
				first = buf_ns(&b);
				dq = t;
			}
		}
		if (!first) {
			fprintf(stderr, "vigil-lat: cycle %u: no frame within 2 s of the pulse\n", i);
			goto out;
		}
		/* the record is written before the buffer is returned */
		r = wake_trace_find(first, w);
		if (r) {
			fprintf(stderr, "vigil-lat: cycle %u: no vigil:vigil_pir_wake record for the first frame%s\n",
				i, r == -ENOENT ? "" : " (tracefs unreadable)");
			goto out;
		}
		lat[0][i] = w[1] - w[0];
		lat[1][i] = w[2] - w[0];
		lat[2][i] = dq > first ? dq - first : 0;
		first_ns[i] = first;
		dq_ns[i] = dq;
		irq_ns[i] = w[0];
		full_ns[i] = w[1];
	}
	loadavg(load1, sizeof(load1));
	rc = 0;
	if (attribute) {
		struct wrec *wr = NULL;
		size_t nwr = 0;
		int r;

		tfs_write("tracing_on", "0");
		r = wake_attr_read(&wr, &nwr, thr);
		if (r) {
			fprintf(stderr, "vigil-lat: wake --attribute: reading the trace: %s\n",
				strerror(-r));
			rc = 1;
		}
		for (i = 0; !r && i < cycles; i++) {
			uint64_t t[WAKE_NSPLIT];

			r = wake_attr_irq(wr, nwr, irq_ns[i], full_ns[i], t);
			irq_direct += r == 1;
			if (!r) {
				for (k = 0; k < WAKE_NIRQ; k++)
					lat[WAKE_NSTAGES + WAKE_NSPLIT + k][irq_attributed] = t[k];
				irq_attributed++;
			}
			r = 0;
			if (wake_attr_split(wr, nwr, first_ns[i], dq_ns[i], t))
				continue;
			for (k = 0; k < WAKE_NSPLIT; k++)
				lat[WAKE_NSTAGES + k][attributed] = t[k];
			attributed++;
		}
		free(wr);
	}
out:
	if (streaming) {
		wake_ctrl(fd, VIGIL_CID_STANDBY, 0);
		ioctl(fd, VIDIOC_STREAMOFF, &type);
	}
	if (tracing) {
		wake_trace_stop();
		if (attribute)
			wake_attr_stop();
	}
	close(fd);
	if (rc)
		goto free;
	/* the histograms need the samples in cycle order no more: sort */
	for (k = 0; k < (int)nst; k++) {
		n[k] = k < WAKE_NSTAGES ? cycles :
		       k < WAKE_NSTAGES + WAKE_NSPLIT ? attributed : irq_attributed;
		lat_stats_compute(lat[k], n[k], &st[k]);
	}
	f = open_memstream(&json, &len);
	if (!f)
		goto fail;
	fprintf(f, "{\"tool\":\"vigil-lat\",\"mode\":\"wake\",\"settings\":{\"device\":");
	json_str(f, dev);
	fprintf(f, ",\"count\":%u,\"fps\":%u,\"hist_max_us\":%u,\"load\":\"none\","
		"\"attribute\":%s},", cycles, fps, hist_max_us, attribute ? "true" : "false");
	print_system(f, load0, load1);
	if (attribute)
		fprintf(f, ",\"attribution\":{\"resolution_ns\":1000,\"attributed\":%zu,"
			"\"unattributed\":%zu,\"irq\":%d,\"irq_thread\":%d,"
			"\"irq_attributed\":%zu,\"irq_direct\":%zu,\"irq_unattributed\":%zu}",
			attributed, cycles - attributed, irq, (int)thr, irq_attributed,
			irq_direct, cycles - irq_attributed - irq_direct);
	fprintf(f, ",\"stages\":[");
	for (k = 0; k < (int)nst; k++) {
		if (k)
			fputc(',', f);
		print_stats_json(f, names[k], &st[k]);
	}
	fprintf(f, "]}\n");
	if (fclose(f))
		goto fail;
	if (output && write_outputs(output, json, names,
				    (const uint64_t *const *)lat, n,
				    nst, hist_max_us))
		goto free_rc;
	if (json_out) {
		fputs(json, stdout);
	} else {
		for (k = 0; k < (int)nst; k++)
			printf("%-45s %zu cycles  min %" PRIu64 " p50 %" PRIu64
			       " p99 %" PRIu64 " max %" PRIu64 " ns\n",
			       names[k], n[k], st[k].min, st[k].p50,
			       st[k].p99, st[k].max);
	}
	goto free;
fail:
	fprintf(stderr, "vigil-lat: out of memory\n");
free_rc:
	rc = 1;
free:
	free(json);
	free(first_ns);
	free(dq_ns);
	free(irq_ns);
	free(full_ns);
	for (k = 0; k < WAKE_NSTAGES + WAKE_NSPLIT + WAKE_NIRQ; k++)
		free(lat[k]);
	return rc;
usage:
	usage(stderr);
	return 2;
}

/* ---- vigil-lat ktrace ----------------------------------------------------- */

/*
 * The kernel's side of vigild's frame stage (vigil-lat frame --ktrace):
 * `ktrace on PID` records, in a tracefs instance of its own (so other
 * tracing, vigil-lat pir --attribute included, is not disturbed), with the
 * mono clock (CLOCK_MONOTONIC, as the buffer timestamps): vb2_buf_done of
 * every buffer, and filtered to vigild's loop thread PID: v4l2_dqbuf,
 * its sched_waking and sched_switch-in, and its io_uring CQEs. `ktrace off
 * FILE` stops, writes the records to FILE (a temporary file renamed: all
 * or nothing) and removes the instance.
 */
#define KT_INST TRACEFS "/instances/vigil-lat"

static const struct {
	const char *ev;
	const char *filter;	/* the field that must be the pid */
} kt_events[] = {
	{ "vb2/vb2_buf_done", NULL },
	{ "v4l2/v4l2_dqbuf", "common_pid" },
	{ "sched/sched_waking", "pid" },
	{ "sched/sched_switch", "next_pid" },
	{ "io_uring/io_uring_complete", "common_pid" },
};

static int kt_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), KT_INST "/%s", file);
	return write_file(path, val);
}

static int ktrace_on(const char *arg)
{
	char path[300], buf[512];
	unsigned int pid;
	size_t i;
	int ret;

	if (parse_uint(arg, INT32_MAX, &pid) || !pid) {
		fprintf(stderr, "vigil-lat: ktrace on %s: not a process id\n", arg);
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (read_file(path, buf, sizeof(buf))) {
		fprintf(stderr, "vigil-lat: ktrace on: no process %u\n", pid);
		return 1;
	}
	if (access(TRACEFS "/instances", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/instances", W_OK)) {
		fprintf(stderr, "vigil-lat: ktrace: %s/instances: %s (tracefs not mounted, or not root)\n",
			TRACEFS, strerror(errno));
		return 1;
	}
	rmdir(KT_INST);		/* left by a run that never said off */
	if (mkdir(KT_INST, 0700)) {
		fprintf(stderr, "vigil-lat: ktrace: mkdir %s: %s\n", KT_INST,
			strerror(errno));
		return 1;
	}
	ret = read_file(KT_INST "/trace_clock", buf, sizeof(buf));
	if (ret || !strstr(buf, "mono")) {
		fprintf(stderr, "vigil-lat: ktrace: the kernel has no 'mono' trace clock\n");
		goto fail;
	}
	ret = kt_write("trace_clock", "mono");
	if (!ret)
		ret = kt_write("buffer_size_kb", "8192");
	if (ret) {
		fprintf(stderr, "vigil-lat: ktrace: %s: %s\n", KT_INST, strerror(-ret));
		goto fail;
	}
	for (i = 0; i < sizeof(kt_events) / sizeof(kt_events[0]); i++) {
		char file[128], filt[64];

		ret = 0;
		if (kt_events[i].filter) {
			snprintf(filt, sizeof(filt), "%s == %u", kt_events[i].filter, pid);
			snprintf(file, sizeof(file), "events/%s/filter", kt_events[i].ev);
			ret = kt_write(file, filt);
		}
		snprintf(file, sizeof(file), "events/%s/enable", kt_events[i].ev);
		if (!ret)
			ret = kt_write(file, "1");
		if (ret) {
			fprintf(stderr, "vigil-lat: ktrace: %s/%s: %s (a kernel without the event %s)\n",
				KT_INST, file, strerror(-ret), kt_events[i].ev);
			goto fail;
		}
	}
	ret = kt_write("tracing_on", "1");
	if (ret) {
		fprintf(stderr, "vigil-lat: ktrace: tracing_on: %s\n", strerror(-ret));
		goto fail;
	}
	fprintf(stderr, "vigil-lat: ktrace: recording pid %u (%s/trace)\n", pid, KT_INST);
	return 0;
fail:
	kt_write("events/enable", "0");
	rmdir(KT_INST);
	return 1;
}

/* Entries overwritten in the ring buffer, every CPU. */
static unsigned long long kt_overrun(void)
{
	unsigned long long sum = 0;
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		char path[128], buf[1024], *p;

		snprintf(path, sizeof(path), KT_INST "/per_cpu/cpu%d/stats", cpu);
		if (read_file(path, buf, sizeof(buf)))
			break;
		p = strstr(buf, "overrun: ");
		if (p)
			sum += strtoull(p + 9, NULL, 10);
	}
	return sum;
}

static int ktrace_off(const char *out)
{
	char filt[64] = "", tmp[PATH_MAX], line[1024];
	unsigned long long overrun, records = 0;
	FILE *in = NULL, *f = NULL;
	int pid = -1, rc = 1;

	if (access(KT_INST, F_OK)) {
		fprintf(stderr, "vigil-lat: ktrace off: no recording (%s: %s; vigil-lat ktrace on PID first)\n",
			KT_INST, strerror(errno));
		return 1;
	}
	kt_write("tracing_on", "0");
	overrun = kt_overrun();
	if (!read_file(KT_INST "/events/sched/sched_waking/filter", filt, sizeof(filt)))
		sscanf(filt, "pid == %d", &pid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	in = fopen(KT_INST "/trace", "re");
	f = in ? fopen(tmp, "we") : NULL;
	if (!f) {
		fprintf(stderr, "vigil-lat: ktrace off: %s: %s\n", in ? tmp : KT_INST "/trace",
			strerror(errno));
		goto out;
	}
	fprintf(f, "# vigil-lat ktrace: pid=%d overrun=%llu\n", pid, overrun);
	while (fgets(line, sizeof(line), in)) {
		records += line[0] != '#';
		fputs(line, f);
	}
	if (ferror(in) || fclose(f)) {
		f = NULL;
		fprintf(stderr, "vigil-lat: ktrace off: %s: %s\n", tmp, strerror(errno ? errno : EIO));
		unlink(tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, out)) {
		fprintf(stderr, "vigil-lat: ktrace off: rename to %s: %s\n", out, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fprintf(stderr, "vigil-lat: ktrace: %llu records of pid %d in %s (%llu lost)\n",
		records, pid, out, overrun);
	rc = 0;
out:
	if (f)
		fclose(f);
	if (in)
		fclose(in);
	kt_write("events/enable", "0");
	if (rmdir(KT_INST))
		fprintf(stderr, "vigil-lat: ktrace off: rmdir %s: %s\n", KT_INST, strerror(errno));
	return rc;
}

static int cmd_ktrace(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[2], "on"))
		return ktrace_on(argv[3]);
	if (argc == 4 && !strcmp(argv[2], "off"))
		return ktrace_off(argv[3]);
	usage(stderr);
	return 2;
}

/* Records of a `vigil-lat ktrace off` file, in time order. */
struct ktrace {
	struct lat_krec *r;
	size_t n;
	unsigned long long overrun;
	int pid;
};

static int cmp_krec(const void *x, const void *y)
{
	const struct lat_krec *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int ktrace_read(const char *path, struct ktrace *kt)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	size_t cap = 0, lineno = 0, bad = 0;

	memset(kt, 0, sizeof(*kt));
	kt->pid = -1;
	if (!f) {
		fprintf(stderr, "vigil-lat: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		struct lat_krec r;
		int k;

		lineno++;
		if (!strncmp(line, "# vigil-lat ktrace: ", 20)) {
			sscanf(line + 20, "pid=%d overrun=%llu", &kt->pid, &kt->overrun);
			continue;
		}
		k = lat_krec_parse(line, &r);
		if (k < 0 && !bad++)
			fprintf(stderr, "vigil-lat: %s:%zu: malformed record skipped\n",
				path, lineno);
		if (k <= 0)
			continue;
		r.seq = lineno;
		if (kt->n == cap) {
			struct lat_krec *nr;

			cap = cap ? 2 * cap : 4096;
			nr = realloc(kt->r, cap * sizeof(*nr));
			if (!nr) {
				fclose(f);
				fprintf(stderr, "vigil-lat: out of memory\n");
				return -ENOMEM;
			}
			kt->r = nr;
		}
		kt->r[kt->n++] = r;
	}
	fclose(f);
	if (!kt->n) {
		fprintf(stderr, "vigil-lat: %s: no vb2_buf_done, v4l2_dqbuf, sched or io_uring record (not a vigil-lat ktrace file, or nothing was recorded)\n",
			path);
		return -EINVAL;
	}
	qsort(kt->r, kt->n, sizeof(*kt->r), cmp_krec);
	return 0;
}

/* ---- vigil-lat frame ------------------------------------------------------ */

#define FRAME_NSTAGES 4
#define TRACE_NSTAGES_MAX (FRAME_NSTAGES + LAT_FSPLIT_N)

static const char *const frame_stages[FRAME_NSTAGES] = {
	"frame.eof-to-vigild",	/* buffer EOF timestamp -> vigild has it */
	"frame.detect",		/* vigild has it -> detection done */
	"frame.fusion",		/* detection done -> the fusion and the sinks of its events returned */
	"frame.eof-to-event",	/* an alarm started by a frame: its EOF timestamp -> the event emitted */
};

struct samples {
	uint64_t *s;
	size_t n, cap;
};

static int samples_push(struct samples *v, uint64_t x)
{
	if (v->n == v->cap) {
		const size_t cap = v->cap ? 2 * v->cap : 1024;
		uint64_t *s = realloc(v->s, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		v->s = s;
		v->cap = cap;
	}
	v->s[v->n++] = x;
	return 0;
}

/*
 * frame --ktrace: frame.eof-to-vigild split with the kernel's records
 * (lat_fsplit_frame()). Frames outside the recording (or partly: done
 * before it started, dequeued after it stopped) are left out; the others
 * are attributed or counted by why not.
 */
struct fsplit {
	struct ktrace kt;
	struct samples frames;	/* pairs: ts_ns, in_ns */
	struct samples s[LAT_FSPLIT_N];
	size_t in_trace, res[LAT_FS_NO_CQE + 1];
	int pid;
	uint64_t tag;		/* user_data of the loop's video poll */
};

static int fsplit_run(struct fsplit *fs)
{
	const struct lat_krec *r = fs->kt.r;
	const size_t n = fs->kt.n;
	size_t i;
	int k;

	fs->pid = -1;
	fs->tag = lat_fsplit_tag(r, n);
	for (i = 0; i + 1 < fs->frames.n; i += 2) {
		const uint64_t ts = fs->frames.s[i], in = fs->frames.s[i + 1];
		uint64_t out[LAT_FSPLIT_N];
		enum lat_fsplit_result res;
		int pid = -1;

		res = lat_fsplit_frame(r, n, ts, in, fs->tag, out, &pid);
		/*
		 * Not matched, and its EOF before the first record or its
		 * callback after the last: outside the recording, not lost.
		 */
		if (res == LAT_FS_UNMATCHED && (ts < r[0].ts || in > r[n - 1].ts))
			continue;
		fs->in_trace++;
		fs->res[res]++;
		if (res == LAT_FS_UNMATCHED)
			continue;
		fs->pid = pid;
		if (res != LAT_FS_OK)
			continue;
		for (k = 0; k < LAT_FSPLIT_N; k++)
			if (samples_push(&fs->s[k], out[k]))
				return -ENOMEM;
	}
	return 0;
}

static void fsplit_free(struct fsplit *fs)
{
	free(fs->kt.r);
	free(fs->frames.s);
	for (int k = 0; k < LAT_FSPLIT_N; k++)
		free(fs->s[k].s);
}

#define HAS(r, x) ((r)->have & (1u << (x)))

/* A frame line into the frame stages; 1 if its times go back. */
static int frame_rec(struct samples *st, const struct lat_trace_rec *r)
{
	const uint64_t *f = r->f;

	if (!HAS(r, LAT_F_TS) || !HAS(r, LAT_F_IN) || !HAS(r, LAT_F_DONE))
		return 1;
	if (f[LAT_F_IN] < f[LAT_F_TS] || f[LAT_F_DONE] < f[LAT_F_IN] ||
	    (HAS(r, LAT_F_FUSED) && f[LAT_F_FUSED] < f[LAT_F_DONE]))
		return 1;
	if (samples_push(&st[0], f[LAT_F_IN] - f[LAT_F_TS]) ||
	    samples_push(&st[1], f[LAT_F_DONE] - f[LAT_F_IN]) ||
	    (HAS(r, LAT_F_FUSED) && samples_push(&st[2], f[LAT_F_FUSED] - f[LAT_F_DONE])))
		return -ENOMEM;
	return 0;
}

/*
 * The stages from `vigild --trace TRACE` (CLOCK_MONOTONIC throughout):
 * frame: per frame line, ts_ns (the buffer's end-of-frame timestamp from
 * V4L2), in_ns (vigild's frame callback entered, right after DQBUF),
 * done_ns (detection done) and fused_ns (the fusion and the sinks of the
 * events it emitted returned); per alarm a frame started, its EOF
 * timestamp -> the fusion emitting it. event: per alarm a PIR edge
 * started, its IRQ timestamp -> vigild's PIR callback -> the event
 * emitted -> its sinks returned, and -> the recorder's first sync
 * covering the clip bytes up to its start record completed.
 */
static int cmd_trace(int argc, char **argv, bool event)
{
	static const struct option opts[] = {
		{ "hist-max", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "ktrace", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int hist_max_us = 100000;
	const char *output = NULL, *trace, *kfile = NULL;
	struct fsplit fsp = { 0 };
	const char *names[TRACE_NSTAGES_MAX];
	uint64_t *lat[TRACE_NSTAGES_MAX];
	struct samples fs[FRAME_NSTAGES] = { { 0 } };
	struct lat_events ev = { 0 };
	struct lat_stats st[TRACE_NSTAGES_MAX];
	size_t frames = 0, skipped = 0, malformed = 0, lineno = 0, cnt[TRACE_NSTAGES_MAX];
	size_t nst = 0;
	char line[1024], *json = NULL, load[64];
	bool json_out = false;
	size_t len = 0;
	int c, k, ret, rc = 1;
	FILE *f;

	optind = 2;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (parse_uint(optarg, 10000000, &hist_max_us) || !hist_max_us)
				goto usage;
			break;
		case 'o': output = optarg; break;
		case 'j': json_out = true; break;
		case 'K': kfile = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || (kfile && event))
		goto usage;
	trace = argv[optind];
	if (kfile && ktrace_read(kfile, &fsp.kt))
		goto out;
	f = fopen(trace, "re");
	if (!f) {
		fprintf(stderr, "vigil-lat: %s: %s\n", trace, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct lat_trace_rec r;

		lineno++;
		ret = lat_trace_parse(line, &r);
		if (ret < 0) {
			if (!malformed++)
				fprintf(stderr, "vigil-lat: %s:%zu: malformed line skipped\n",
					trace, lineno);
			continue;
		}
		ret = 0;
		if (r.kind == LAT_TRACE_FRAME) {
			frames++;
			ret = frame_rec(fs, &r);
			if (ret > 0)
				skipped++;
			else if (!ret && kfile &&
				 (samples_push(&fsp.frames, r.f[LAT_F_TS]) ||
				  samples_push(&fsp.frames, r.f[LAT_F_IN])))
				ret = -ENOMEM;
		} else if (r.kind == LAT_TRACE_EVENT || r.kind == LAT_TRACE_SYNCED) {
			ret = lat_events_add(&ev, &r);
			if (!ret && r.kind == LAT_TRACE_EVENT && r.by == LAT_BY_FRAME &&
			    HAS(&r, LAT_F_TS) && HAS(&r, LAT_F_EMIT) &&
			    r.f[LAT_F_EMIT] >= r.f[LAT_F_TS])
				ret = samples_push(&fs[3], r.f[LAT_F_EMIT] - r.f[LAT_F_TS]);
		}
		if (ret < 0) {
			fclose(f);
			fprintf(stderr, "vigil-lat: out of memory\n");
			goto out;
		}
	}
	fclose(f);
	lat_events_end(&ev);
	if (!frames) {
		fprintf(stderr, "vigil-lat: %s: no frame lines (not a vigild --trace file)\n",
			trace);
		goto out;
	}
	if (event) {
		if (!ev.n) {
			fprintf(stderr, "vigil-lat: %s: no alarm started by a PIR edge with its clip bytes synced (%zu alarms, %zu by PIR, %zu never synced, %zu with times out of order): vigild needs --trace, [record] dir and a PIR policy (pir-only, pir-and-video)\n",
				trace, ev.events, ev.by_pir, ev.unsynced, ev.bad);
			goto out;
		}
		for (k = 0; k < LAT_EVENT_NSTAGES; k++) {
			names[nst] = lat_event_stage[k];
			lat[nst] = ev.s[k];
			cnt[nst++] = ev.n;
		}
	} else {
		if (!fs[0].n) {
			fprintf(stderr, "vigil-lat: %s: no frame with in_ns/done_ns after its timestamp (%zu lines; a vigild without them, or a replay source, whose timestamps are not CLOCK_MONOTONIC)\n",
				trace, frames);
			goto out;
		}
		/* fusion: a vigild that writes fused_ns; eof-to-event: alarms by frames */
		for (k = 0; k < FRAME_NSTAGES; k++) {
			if (k >= 2 && !fs[k].n)
				continue;
			names[nst] = frame_stages[k];
			lat[nst] = fs[k].s;
			cnt[nst++] = fs[k].n;
		}
		if (kfile) {
			if (fsplit_run(&fsp)) {
				fprintf(stderr, "vigil-lat: out of memory\n");
				goto out;
			}
			if (!fsp.in_trace) {
				fprintf(stderr, "vigil-lat: %s: no frame of %s within the recording (vigil-lat ktrace on PID while vigild runs, ktrace off before it stops)\n",
					kfile, trace);
				goto out;
			}
			for (k = 0; k < LAT_FSPLIT_N; k++) {
				names[nst] = lat_fsplit_stage[k];
				lat[nst] = fsp.s[k].s;
				cnt[nst++] = fsp.s[k].n;
			}
		}
	}
	for (k = 0; k < (int)nst; k++)
		lat_stats_compute(lat[k], cnt[k], &st[k]);
	f = open_memstream(&json, &len);
	if (!f)
		goto out;
	loadavg(load, sizeof(load));
	fprintf(f, "{\"tool\":\"vigil-lat\",\"mode\":\"%s\",\"settings\":{\"trace\":",
		event ? "event" : "frame");
	json_str(f, trace);
	fprintf(f, ",\"hist_max_us\":%u},\"frames\":%zu,\"skipped\":%zu,", hist_max_us,
		frames, skipped);
	if (event)
		fprintf(f, "\"events\":%zu,\"by_pir\":%zu,\"measured\":%zu,"
			"\"unsynced\":%zu,\"bad\":%zu,", ev.events, ev.by_pir, ev.n,
			ev.unsynced, ev.bad);
	else
		fprintf(f, "\"events_by_frame\":%zu,", fs[3].n);
	if (kfile) {
		fprintf(f, "\"attribution\":{\"ktrace\":");
		json_str(f, kfile);
		fprintf(f, ",\"pid\":%d,\"poll_user_data\":%" PRIu64 ",\"records\":%zu,\"lost_records\":%llu,"
			"\"frames_in_trace\":%zu,\"attributed\":%zu,\"not_woken\":%zu,"
			"\"no_cqe\":%zu,\"unmatched\":%zu,\"resolution_ns\":1000},",
			fsp.pid, fsp.tag, fsp.kt.n, fsp.kt.overrun, fsp.in_trace,
			fsp.res[LAT_FS_OK], fsp.res[LAT_FS_NOT_WOKEN],
			fsp.res[LAT_FS_NO_CQE], fsp.res[LAT_FS_UNMATCHED]);
	}
	print_system(f, load, load);
	fprintf(f, ",\"stages\":[");
	for (k = 0; k < (int)nst; k++) {
		if (k)
			fputc(',', f);
		print_stats_json(f, names[k], &st[k]);
	}
	fprintf(f, "]}\n");
	if (fclose(f))
		goto out;
	if (output && write_outputs(output, json, names,
					(const uint64_t *const *)lat, cnt, nst,
					hist_max_us))
		goto out;
	if (json_out)
		fputs(json, stdout);
	else
		for (k = 0; k < (int)nst; k++)
			printf("%-44s %zu %s  min %" PRIu64 " p50 %" PRIu64
			       " p99 %" PRIu64 " max %" PRIu64 " ns\n",
			       names[k], cnt[k], event ? "alarms" : "samples",
			       st[k].min, st[k].p50, st[k].p99, st[k].max);
	rc = 0;
out:
	free(json);
	for (k = 0; k < FRAME_NSTAGES; k++)
		free(fs[k].s);
	fsplit_free(&fsp);
	lat_events_free(&ev);
	return rc;
usage:
	usage(stderr);
	return 2;
}

/* ---- vigil-lat compare -------------------------------------------------- */

static int cmd_compare(int argc, char **argv)
{
	struct lat_stage *s[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };
	char err[256];
	int i, rc = 1;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < 2; i++) {
		char *text = slurp(argv[2 + i]);

		if (!text) {
			fprintf(stderr, "vigil-lat: %s: %s\n", argv[2 + i],
				strerror(errno));
			goto out;
		}
		if (lat_stages_parse(text, &s[i], &n[i], err, sizeof(err))) {
			fprintf(stderr, "vigil-lat: %s: %s\n", argv[2 + i], err);
			free(text);
			goto out;
		}
		free(text);
	}
	lat_compare_print(stdout, argv[2], s[0], n[0], argv[3], s[1], n[1]);
	rc = 0;
out:
	free(s[0]);
	free(s[1]);
	return rc;
}

/* ---- vigil-lat overhead --------------------------------------------------- */

/*
 * The cost of one sample without a device (host): a clock read, an empty
 * non-blocking read() (the syscall a reader makes per batch) and storing
 * the sample.
 */
static int cmd_overhead(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "samples", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int n = OVH_N, i;
	bool json = false;
	uint64_t clock_ns, read_ns, store_ns, t0, *s, clock_mean, read_mean;
	int c, fds[2];

	optind = 2;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 100000000, &n) || !n) {
				usage(stderr);
				return 2;
			}
			break;
		case 'j': json = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* whole batches (ovh_median()) */
	n = (n / OVH_BATCHES ? n / OVH_BATCHES : 1) * OVH_BATCHES;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC)) {
		fprintf(stderr, "vigil-lat: pipe: %s\n", strerror(errno));
		return 1;
	}
	s = calloc(n, sizeof(*s));
	if (!s) {
		fprintf(stderr, "vigil-lat: out of memory\n");
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	clock_ns = ovh_clock(n, &clock_mean);
	read_ns = ovh_read(fds[0], n, &read_mean);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		__atomic_store_n(&s[i], t0 - i, __ATOMIC_RELEASE);
	store_ns = (now_ns() - t0) / n;
	free(s);
	close(fds[0]);
	close(fds[1]);
	if (read_ns == UINT64_MAX) {
		fprintf(stderr, "vigil-lat: empty read did not fail with EAGAIN\n");
		return 1;
	}
	if (json)
		printf("{\"samples\":%u,\"batches\":%u,\"clock_read_ns\":%" PRIu64
		       ",\"empty_read_ns\":%" PRIu64 ",\"store_ns\":%" PRIu64
		       ",\"per_sample_ns\":%" PRIu64 ",\"per_sample_mean_ns\":%" PRIu64
		       "}\n", n, OVH_BATCHES, clock_ns, read_ns, store_ns,
		       clock_ns + read_ns + store_ns, clock_mean + read_mean + store_ns);
	else
		printf("per sample: clock read %" PRIu64 " ns + empty read %"
		       PRIu64 " ns + store %" PRIu64 " ns = %" PRIu64
		       " ns (median batch; mean %" PRIu64 " ns)\n", clock_ns, read_ns,
		       store_ns, clock_ns + read_ns + store_ns,
		       clock_mean + read_mean + store_ns);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return cmd_compare(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "overhead"))
		return cmd_overhead(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "wake"))
		return cmd_wake(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "ktrace"))
		return cmd_ktrace(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "frame"))
		return cmd_trace(argc, argv, false);
	if (argc > 1 && !strcmp(argv[1], "event"))
		return cmd_trace(argc, argv, true);
	/* pir: the command may come after its options, as before */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "pir"))
			return cmd_pir(argc, argv);
	usage(stderr);
	return 2;
}
