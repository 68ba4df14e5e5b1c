// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The person check's plain parts: verdict names, parameters, and the
 * loader of the detector module, lib/person-hog.cpp (OpenCV), when libvigil
 * is built with it; without it the check says -ENOTSUP.
 */
#include <errno.h>
#include <stddef.h>
#ifdef VIGIL_HAVE_OPENCV
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#endif

#include "libvigil.h"

static const char *const verdict_names[] = {
	[VIGIL_PERSON_NONE] = "none",
	[VIGIL_PERSON_UNKNOWN] = "unknown",
	[VIGIL_PERSON_YES] = "person",
	[VIGIL_PERSON_NO] = "no-person",
};

const char *vigil_person_verdict_name(enum vigil_person_verdict v)
{
	return (unsigned int)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ?
	       verdict_names[v] : "?";
}

void vigil_person_params_default(struct vigil_person_params *p)
{
	p->crop_height = 160;
	p->max_width = 480;
	p->hit_threshold = 0.0;
}

#ifdef VIGIL_HAVE_OPENCV
/*
 * The detector is a module (lib/person-hog.cpp, OpenCV), loaded with
 * dlopen() by the first vigil_person_new(), so that programs linked with
 * libvigil load OpenCV's libraries only when they use the check. Found at
 * $VIGIL_PERSON_MODULE, else VIGIL_PERSON_MODULE_PATH (LIBDIR/vigil/, set
 * at build time), else next to the program or one directory up (a build
 * tree: vigild, tools/, tests/, bench/).
 */
#define MODULE_NAME "libvigil-person-hog.so"

struct vigil_person {
	void *dl;
	void *impl;
	void (*free)(void *h);
	int (*check)(void *h, const struct vigil_frame *f, const struct vigil_box *boxes,
		     unsigned int n, struct vigil_person_result *res);
	int (*crop)(void *h, const struct vigil_frame *f, const struct vigil_box *box,
		    uint8_t *buf, size_t len, unsigned int *w, unsigned int *hh);
};

static int module_path(char *buf, size_t len)
{
	const char *env = getenv("VIGIL_PERSON_MODULE");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) ? -ENOENT : 0;
	}
	snprintf(buf, len, "%s", VIGIL_PERSON_MODULE_PATH);
	if (!access(buf, R_OK))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/" MODULE_NAME, exe) < len &&
	    !access(buf, R_OK))
		return 0;
	slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		if ((size_t)snprintf(buf, len, "%s/" MODULE_NAME, exe) < len &&
		    !access(buf, R_OK))
			return 0;
	}
	return -ENOENT;
}

const char *vigil_person_backend(void)
{
	char path[PATH_MAX];

	return module_path(path, sizeof(path)) ? NULL : "opencv-hog";
}

int vigil_person_new(const struct vigil_person_params *p,
		     struct vigil_person **out)
{
	int (*hog_new)(const struct vigil_person_params *p, void **out);
	struct vigil_person *ps;
	char path[PATH_MAX];
	int ret;

	*out = NULL;
	if (module_path(path, sizeof(path)))
		return -ENOTSUP;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!ps->dl) {
		free(ps);
		return -ENOTSUP;	/* OpenCV's libraries are missing */
	}
	*(void **)&hog_new = dlsym(ps->dl, "vigil_hog_new");
	*(void **)&ps->free = dlsym(ps->dl, "vigil_hog_free");
	*(void **)&ps->check = dlsym(ps->dl, "vigil_hog_check");
	*(void **)&ps->crop = dlsym(ps->dl, "vigil_hog_crop");
	if (!hog_new || !ps->free || !ps->check || !ps->crop) {
		ret = -ENOTSUP;
		goto fail;
	}
	ret = hog_new(p, &ps->impl);
	if (ret)
		goto fail;
	*out = ps;
	return 0;
fail:
	dlclose(ps->dl);
	free(ps);
	return ret;
}

void vigil_person_free(struct vigil_person *p)
{
	if (!p)
		return;
	p->free(p->impl);
	/* OpenCV's libraries stay mapped: unloading C++ runtimes is unsafe */
	free(p);
}

int vigil_person_check(struct vigil_person *p, const struct vigil_frame *f,
		       const struct vigil_box *boxes, unsigned int n,
		       struct vigil_person_result *res)
{
	return p->check(p->impl, f, boxes, n, res);
}

int vigil_person_crop(struct vigil_person *p, const struct vigil_frame *f,
		      const struct vigil_box *box, uint8_t *buf, size_t len,
		      unsigned int *w, unsigned int *h)
{
	return p->crop(p->impl, f, box, buf, len, w, h);
}
#else
/* Built without a detector: the interface is there, the check is not. */
const char *vigil_person_backend(void)
{
	return NULL;
}

int vigil_person_new(const struct vigil_person_params *p,
		     struct vigil_person **out)
{
	*out = NULL;
	return -ENOTSUP;
}

void vigil_person_free(struct vigil_person *p)
{
}

int vigil_person_check(struct vigil_person *p, const struct vigil_frame *f,
		       const struct vigil_box *boxes, unsigned int n,
		       struct vigil_person_result *res)
{
	return -ENOTSUP;
}

int vigil_person_crop(struct vigil_person *p, const struct vigil_frame *f,
		      const struct vigil_box *box, uint8_t *buf, size_t len,
		      unsigned int *w, unsigned int *h)
{
	return -ENOTSUP;
}
#endif
