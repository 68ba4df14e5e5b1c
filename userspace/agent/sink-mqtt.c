// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MQTT sink: every event line (the JSON of sink-events.c, without its line
 * end) on <prefix>/event, the motion and tamper states, the last event,
 * availability (a retained "online", the broker's will "offline") and Home
 * Assistant discovery.
 *
 * The network runs on libmosquitto's own thread (mosquitto_loop_start),
 * which also reconnects with exponential backoff. The capture loop only
 * appends to a bounded queue here (when it is full the oldest message is
 * dropped and counted, never waited for) and hands messages on with
 * mosquitto_publish(), which with the thread started only queues the packet
 * and wakes the thread: the loop never touches the broker's socket. Messages leave the
 * queue for libmosquitto only while connected and while fewer than the
 * queue's size are unacknowledged (QoS 1), so libmosquitto's own queue is
 * bounded too.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "net.h"

#define MQTT_QOS 1
#define MQTT_TOPIC_MAX (VIGIL_PATH_MAX + 64)

struct msg {
	char topic[2 * MQTT_TOPIC_MAX];
	char *payload;
	int len;
	bool retain;
};

struct mqtt {
	const struct vigil_mqtt_config *cfg;
	struct mosquitto *m;
	char id[VIGIL_PATH_MAX];	/* camera id, topic-safe */
	char prefix[MQTT_TOPIC_MAX];
	char avail[MQTT_TOPIC_MAX];	/* <prefix>/availability */

	/* queue: protects head, n, msgs, connected, inflight, counters */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* inflight went down, connected (close) */
	struct msg *msgs;
	unsigned int cap, head, n;
	bool connected;
	bool tried;			/* the first connection ended either way */
	unsigned int inflight;		/* handed to libmosquitto, not acked */
	unsigned long published, dropped, connects;
	/* serialises draining (order of messages); never held by the loop */
	pthread_mutex_t drain;
};

static int mqtt_topic(char *buf, size_t len, const char *a, const char *b)
{
	const int n = snprintf(buf, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Append a message; a full queue drops its oldest. Never blocks for long. */
static void mqtt_enqueue(struct mqtt *q, const char *topic, const char *payload,
			 int len, bool retain)
{
	char *copy = malloc((size_t)len + 1);
	struct msg *m;
	bool first_drop = false;

	if (!copy) {
		pthread_mutex_lock(&q->lock);
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return;
	}
	memcpy(copy, payload, (size_t)len);
	copy[len] = '\0';
	pthread_mutex_lock(&q->lock);
	if (q->n == q->cap) {
		m = &q->msgs[q->head];
		free(m->payload);
		m->payload = NULL;
		q->head = (q->head + 1) % q->cap;
		q->n--;
		first_drop = !q->dropped++;
	}
	m = &q->msgs[(q->head + q->n) % q->cap];
	snprintf(m->topic, sizeof(m->topic), "%s", topic);
	m->payload = copy;
	m->len = len;
	m->retain = retain;
	q->n++;
	pthread_mutex_unlock(&q->lock);
	if (first_drop)
		fprintf(stderr, "vigild: mqtt: queue full (%u messages, broker %s:%u unreachable "
			"or slow): dropping the oldest; counted in the stats at exit\n",
			q->cap, q->cfg->host, q->cfg->port);
}

/*
 * Hand queued messages to libmosquitto while connected and below the
 * in-flight bound. Called from the loop (after an enqueue) and from
 * libmosquitto's thread (connect, acknowledgement); whoever holds q->drain
 * drains, the other returns at once.
 */
static void mqtt_drain(struct mqtt *q)
{
	for (;;) {
		if (pthread_mutex_trylock(&q->drain))
			return;
		for (;;) {
			struct msg m;
			int mid, rc;

			/* out of the ring first: an overflow may not free it under us */
			pthread_mutex_lock(&q->lock);
			if (!q->connected || !q->n || q->inflight >= q->cap) {
				pthread_mutex_unlock(&q->lock);
				break;
			}
			m = q->msgs[q->head];
			q->msgs[q->head].payload = NULL;
			q->head = (q->head + 1) % q->cap;
			q->n--;
			q->inflight++;
			pthread_mutex_unlock(&q->lock);
			rc = mosquitto_publish(q->m, &mid, m.topic, m.len, m.payload,
					       MQTT_QOS, m.retain);
			if (rc == MOSQ_ERR_SUCCESS) {
				/* libmosquitto has its own copy now */
				free(m.payload);
				continue;
			}
			/* not connected after all: back to the front, for later */
			pthread_mutex_lock(&q->lock);
			q->inflight--;
			q->connected = false;
			if (q->n < q->cap) {
				q->head = (q->head + q->cap - 1) % q->cap;
				q->msgs[q->head] = m;
				q->n++;
				m.payload = NULL;
			} else {
				q->dropped++;	/* the oldest of a full queue */
			}
			pthread_mutex_unlock(&q->lock);
			free(m.payload);
			break;
		}
		pthread_mutex_unlock(&q->drain);
		/* a message enqueued while we held drain must not wait */
		pthread_mutex_lock(&q->lock);
		const bool more = q->connected && q->n && q->inflight < q->cap;

		pthread_mutex_unlock(&q->lock);
		if (!more)
			return;
	}
}

/* ---- Home Assistant discovery ---- */

static int mqtt_json_str(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3)
		return -ENOSPC;
	buf[o++] = '"';
	for (; *s; s++) {
		const unsigned char c = (unsigned char)*s;

		if (o + 8 >= len)
			return -ENOSPC;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return 0;
}

/* The device block every entity shares. */
static int mqtt_device(const struct mqtt *q, char *buf, size_t len)
{
	char url[2 * VIGIL_PATH_MAX + 8] = "";
	int n;

	if (q->cfg->mjpeg_url[0]) {
		char quoted[sizeof(url) - 32];

		if (mqtt_json_str(quoted, sizeof(quoted), q->cfg->mjpeg_url))
			return -ENOSPC;
		snprintf(url, sizeof(url), ",\"configuration_url\":%s", quoted);
	}
	n = snprintf(buf, len,
		     "\"device\":{\"identifiers\":[\"vigil_%s\"],\"name\":\"vigil %s\","
		     "\"manufacturer\":\"vigil\",\"model\":\"vigild\",\"sw_version\":\"%s\"%s}",
		     q->id, q->id, vigil_version_string(), url);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static void mqtt_discovery_one(struct mqtt *q, const char *component,
			       const char *object, const char *body)
{
	char topic[2 * MQTT_TOPIC_MAX], dev[1024], payload[4096];
	int n;

	if (mqtt_device(q, dev, sizeof(dev)))
		return;
	n = snprintf(topic, sizeof(topic), "%s/%s/vigil_%s/%s/config",
		     q->cfg->discovery_prefix, component, q->id, object);
	if (n < 0 || (size_t)n >= sizeof(topic)) {	/* as struct msg's */
		fprintf(stderr, "vigild: mqtt: discovery topic too long\n");
		return;
	}
	n = snprintf(payload, sizeof(payload),
		     "{%s,\"unique_id\":\"vigil_%s_%s\",\"object_id\":\"vigil_%s_%s\","
		     "\"availability_topic\":\"%s\",\"payload_available\":\"online\","
		     "\"payload_not_available\":\"offline\",%s}",
		     body, q->id, object, q->id, object, q->avail, dev);
	if (n > 0 && (size_t)n < sizeof(payload))
		mqtt_enqueue(q, topic, payload, n, true);
}

static void mqtt_discovery(struct mqtt *q)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "\"name\":\"Motion\",\"device_class\":\"motion\",\"state_topic\":\"%s/motion\","
		 "\"payload_on\":\"ON\",\"payload_off\":\"OFF\"", q->prefix);
	mqtt_discovery_one(q, "binary_sensor", "motion", body);
	snprintf(body, sizeof(body),
		 "\"name\":\"Tamper\",\"device_class\":\"tamper\",\"state_topic\":\"%s/tamper\","
		 "\"payload_on\":\"ON\",\"payload_off\":\"OFF\"", q->prefix);
	mqtt_discovery_one(q, "binary_sensor", "tamper", body);
	snprintf(body, sizeof(body),
		 "\"name\":\"Last event\",\"icon\":\"mdi:cctv\",\"state_topic\":\"%s/last_event\","
		 "\"value_template\":\"{{ value_json.event }} {{ value_json.id }}\","
		 "\"json_attributes_topic\":\"%s/last_event\"", q->prefix, q->prefix);
	mqtt_discovery_one(q, "sensor", "last_event", body);
}

/* ---- libmosquitto's thread ---- */

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct mqtt *q = arg;
	char topic[MQTT_TOPIC_MAX];
	unsigned int sent;

	pthread_mutex_lock(&q->lock);
	q->tried = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (rc) {
		fprintf(stderr, "vigild: mqtt: %s:%u refused the connection: %s\n",
			q->cfg->host, q->cfg->port, mosquitto_connack_string(rc));
		return;
	}
	pthread_mutex_lock(&q->lock);
	q->connected = true;
	/*
	 * Unacknowledged messages of the old connection are libmosquitto's
	 * to resend; the bound starts again so that they cannot wedge it.
	 */
	q->inflight = 0;
	q->connects++;
	pthread_mutex_unlock(&q->lock);
	fprintf(stderr, "vigild: mqtt: connected to %s:%u as %s\n", q->cfg->host,
		q->cfg->port, q->prefix);
	/* online and the URL go first: ahead of queued events */
	sent = mosquitto_publish(m, NULL, q->avail, 6, "online", MQTT_QOS, true) ==
	       MOSQ_ERR_SUCCESS;
	if (q->cfg->mjpeg_url[0] && !mqtt_topic(topic, sizeof(topic), q->prefix, "mjpeg_url"))
		sent += mosquitto_publish(m, NULL, topic, (int)strlen(q->cfg->mjpeg_url),
					  q->cfg->mjpeg_url, MQTT_QOS, true) == MOSQ_ERR_SUCCESS;
	pthread_mutex_lock(&q->lock);
	q->inflight += sent;
	pthread_mutex_unlock(&q->lock);
	/* again on every connection: a broker without persistence forgets */
	if (q->cfg->discovery)
		mqtt_discovery(q);
	mqtt_drain(q);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct mqtt *q = arg;

	pthread_mutex_lock(&q->lock);
	const bool was = q->connected;

	q->connected = false;
	q->tried = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (rc && was)
		fprintf(stderr, "vigild: mqtt: lost %s:%u (%s); reconnecting with backoff\n",
			q->cfg->host, q->cfg->port, mosquitto_strerror(rc));
}

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct mqtt *q = arg;

	pthread_mutex_lock(&q->lock);
	if (q->inflight)
		q->inflight--;
	q->published++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	mqtt_drain(q);
}

/* ---- the sink ---- */

static void mqtt_free(struct mqtt *q)
{
	if (q->m)
		mosquitto_destroy(q->m);
	for (unsigned int i = 0; q->msgs && i < q->cap; i++)
		free(q->msgs[i].payload);
	free(q->msgs);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->drain);
	pthread_cond_destroy(&q->cond);
	free(q);
}

/* The camera id: [mqtt] id or the host name, made topic-safe. */
static void mqtt_id(struct mqtt *q)
{
	char host[VIGIL_PATH_MAX] = "";

	if (q->cfg->id[0])
		snprintf(host, sizeof(host), "%s", q->cfg->id);
	else if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "camera");
	for (char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			*p = '_';
	snprintf(q->id, sizeof(q->id), "%s", host);
}

static int mqtt_open(struct sink *k, char *err, size_t errlen)
{
	const struct vigil_mqtt_config *c = &k->cfg->mqtt;
	char client[VIGIL_PATH_MAX + 16], password[256];
	struct mqtt *q;
	int rc, ret = -EINVAL;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->cfg = c;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->drain, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->cap = c->queue;
	q->msgs = calloc(q->cap, sizeof(*q->msgs));
	if (!q->msgs) {
		ret = -ENOMEM;
		snprintf(err, errlen, "mqtt: out of memory");
		goto fail;
	}
	mqtt_id(q);
	if (c->topic_prefix[0])
		snprintf(q->prefix, sizeof(q->prefix), "%s", c->topic_prefix);
	else
		snprintf(q->prefix, sizeof(q->prefix), "vigil/%s", q->id);
	if (strpbrk(q->prefix, "+#") || mqtt_topic(q->avail, sizeof(q->avail), q->prefix,
						    "availability")) {
		snprintf(err, errlen, "mqtt: topic_prefix '%s': no wildcards (+, #) allowed",
			 q->prefix);
		goto fail;
	}
	mosquitto_lib_init();
	snprintf(client, sizeof(client), "vigild-%s", q->id);
	q->m = mosquitto_new(client, true, q);
	if (!q->m) {
		ret = -errno;
		snprintf(err, errlen, "mqtt: mosquitto_new: %s", strerror(-ret));
		goto fail;
	}
	mosquitto_connect_callback_set(q->m, on_connect);
	mosquitto_disconnect_callback_set(q->m, on_disconnect);
	mosquitto_publish_callback_set(q->m, on_publish);
	mosquitto_reconnect_delay_set(q->m, c->reconnect_min_s,
				      c->reconnect_max_s < c->reconnect_min_s ?
				      c->reconnect_min_s : c->reconnect_max_s, true);
	rc = mosquitto_will_set(q->m, q->avail, 7, "offline", MQTT_QOS, true);
	if (rc) {
		snprintf(err, errlen, "mqtt: will on %s: %s", q->avail, mosquitto_strerror(rc));
		goto fail;
	}
	if (c->username[0]) {
		password[0] = '\0';
		if (c->password_file[0]) {
			ret = secret_read(c->password_file, password, sizeof(password), err,
					  errlen);
			if (ret)
				goto fail;
		}
		rc = mosquitto_username_pw_set(q->m, c->username,
					       c->password_file[0] ? password : NULL);
		explicit_bzero(password, sizeof(password));
		if (rc) {
			ret = -EINVAL;
			snprintf(err, errlen, "mqtt: username: %s", mosquitto_strerror(rc));
			goto fail;
		}
	} else if (c->password_file[0]) {
		snprintf(err, errlen, "mqtt: password_file needs a username");
		goto fail;
	}
	if (c->tls_ca[0]) {
		rc = mosquitto_tls_set(q->m, c->tls_ca, NULL, NULL, NULL, NULL);
		if (rc) {
			snprintf(err, errlen, "mqtt: tls_ca %s: %s", c->tls_ca,
				 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			goto fail;
		}
	}
	/*
	 * The thread first, then the connection: libmosquitto's thread then
	 * keeps trying with backoff even if the broker is down at start
	 * (a failed connect before mosquitto_loop_start() is never retried).
	 * Events wait in the queue meanwhile.
	 */
	rc = mosquitto_loop_start(q->m);
	if (rc) {
		snprintf(err, errlen, "mqtt: starting the network thread: %s",
			 mosquitto_strerror(rc));
		goto fail;
	}
	rc = mosquitto_connect_async(q->m, c->host, (int)c->port, (int)c->keepalive_s);
	if (rc && rc != MOSQ_ERR_ERRNO) {
		snprintf(err, errlen, "mqtt: %s:%u: %s", c->host, c->port,
			 mosquitto_strerror(rc));
		mosquitto_disconnect(q->m);
		mosquitto_loop_stop(q->m, true);
		goto fail;
	}
	if (rc) {
		const int e = errno;

		fprintf(stderr, "vigild: mqtt: %s:%u: %s%s; retrying in the background\n",
			c->host, c->port, strerror(e), net_denied_hint(e));
	}
	k->priv = q;
	return 0;
fail:
	mqtt_free(q);
	return ret;
}

static const char *const state[] = { "ON", "ON", "OFF" };

static int mqtt_event(struct sink *k, const struct vigil_event *ev)
{
	struct mqtt *q = k->priv;
	char buf[2048], topic[MQTT_TOPIC_MAX];
	int n = vigil_event_json(ev, buf, sizeof(buf));

	if (n <= 0)
		return 0;	/* the event log reports what cannot be formatted */
	n--;			/* the line without its '\n' */
	buf[n] = '\0';
	if (!mqtt_topic(topic, sizeof(topic), q->prefix, "event"))
		mqtt_enqueue(q, topic, buf, n, false);
	if (ev->type != VIGIL_EVENT_UPDATE &&
	    !mqtt_topic(topic, sizeof(topic), q->prefix,
			ev->kind == VIGIL_KIND_TAMPER ? "tamper" : "motion"))
		mqtt_enqueue(q, topic, state[ev->type], (int)strlen(state[ev->type]), true);
	if (!mqtt_topic(topic, sizeof(topic), q->prefix, "last_event"))
		mqtt_enqueue(q, topic, buf, n, true);
	mqtt_drain(q);
	return 0;
}

static int mqtt_reopen(struct sink *k, char *err, size_t errlen)
{
	return 0;
}

/*
 * Say "offline", give the queue up to 2 s to reach the broker (also to
 * finish connecting, if the first attempt is still under way), disconnect.
 */
static int mqtt_close(struct sink *k)
{
	struct mqtt *q = k->priv;
	struct timespec until;

	if (!q)
		return 0;
	mqtt_enqueue(q, q->avail, "offline", 7, true);
	mqtt_drain(q);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&q->lock);
	while ((q->connected || !q->tried) && (q->n || q->inflight) &&
	       pthread_cond_timedwait(&q->cond, &q->lock, &until) == 0)
		if (q->connected) {
			pthread_mutex_unlock(&q->lock);
			mqtt_drain(q);
			pthread_mutex_lock(&q->lock);
		}
	pthread_mutex_unlock(&q->lock);
	mosquitto_disconnect(q->m);
	mosquitto_loop_stop(q->m, false);
	fprintf(stderr, "vigild: mqtt: %lu messages acknowledged by the broker, "
		"%lu dropped (queue full), %u never sent\n", q->published, q->dropped, q->n);
	mqtt_free(q);
	mosquitto_lib_cleanup();
	k->priv = NULL;
	return 0;
}

const struct sink_ops sink_mqtt_ops = {
	.name = "mqtt",
	.open = mqtt_open,
	.event = mqtt_event,
	.reopen = mqtt_reopen,
	.close = mqtt_close,
};
