// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The person check with OpenCV's HOG people detector (Dalal-Triggs, the
 * linear SVM built into libopencv-objdetect: no model file). OpenCV 4 has
 * no C API: this shim keeps C++ and exceptions inside; every entry point is
 * extern "C" and turns an exception into -errno. One object, one thread.
 *
 * Built as a module of its own (libvigil-person-hog.so) that libvigil
 * loads with dlopen() on the first vigil_person_new(): a program linked
 * with libvigil does not load OpenCV's libraries (about 30 of them) until
 * it uses the check. Entry points: vigil_hog_{new,free,check,crop}.
 */
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "libvigil.h"

#define HOG_API extern "C" __attribute__((visibility("default")))

struct hog {
	struct vigil_person_params p;
	cv::HOGDescriptor hog;
	cv::Mat region;		/* the blob's region, contiguous */
	cv::Mat crop;		/* ... scaled: what the detector reads */
};

HOG_API int vigil_hog_new(const struct vigil_person_params *p, void **out);
HOG_API void vigil_hog_free(void *h);
HOG_API int vigil_hog_check(void *h, const struct vigil_frame *f,
			    const struct vigil_box *boxes, unsigned int n,
			    struct vigil_person_result *res);
HOG_API int vigil_hog_crop(void *hp, const struct vigil_frame *f,
			   const struct vigil_box *box, uint8_t *buf, size_t len,
			   unsigned int *w, unsigned int *h);

int vigil_hog_new(const struct vigil_person_params *p, void **out)
{
	*out = nullptr;
	if (p->crop_height < 128 || p->crop_height > 1024 ||
	    p->max_width < 64 || p->max_width > 4096)
		return -EINVAL;
	try {
		hog *ps = new hog();

		ps->p = *p;
		/* one thread: no pool of OpenCV's own (TBB) beside the caller */
		cv::setNumThreads(0);
		ps->hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
		*out = ps;
		return 0;
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
}

void vigil_hog_free(void *h)
{
	delete static_cast<hog *>(h);
}

/* The scaled crop of @box into ps->crop. */
static int make_crop(hog *ps, const struct vigil_frame *f,
		     const struct vigil_box *box)
{
	struct vigil_box r;
	unsigned int cw, ch;
	int ret;

	ret = vigil_person_region(box, f->width, f->height, &r);
	if (ret)
		return ret;
	if (!f->step || f->step > 2)
		return -EINVAL;
	ps->region.create((int)r.h, (int)r.w, CV_8UC1);
	for (unsigned int y = 0; y < r.h; y++) {
		const uint8_t *s = f->luma + (size_t)(r.y + y) * f->stride +
				   (size_t)r.x * f->step;
		uint8_t *d = ps->region.ptr<uint8_t>((int)y);

		if (f->step == 1) {
			memcpy(d, s, r.w);
		} else {
			for (unsigned int x = 0; x < r.w; x++)
				d[x] = s[(size_t)x * f->step];
		}
	}
	ch = ps->p.crop_height;
	cw = (unsigned int)((double)r.w * ch / r.h + 0.5);
	if (cw > ps->p.max_width) {
		cw = ps->p.max_width;
		ch = (unsigned int)((double)r.h * cw / r.w + 0.5);
	}
	if (cw < 64)
		cw = 64;
	cv::resize(ps->region, ps->crop, cv::Size((int)cw, (int)ch), 0, 0,
		   ch < r.h ? cv::INTER_AREA : cv::INTER_LINEAR);
	return 0;
}

int vigil_hog_check(void *h, const struct vigil_frame *f,
		    const struct vigil_box *boxes, unsigned int n,
		    struct vigil_person_result *res)
{
	hog *ps = static_cast<hog *>(h);

	try {
		std::vector<cv::Rect> found;
		std::vector<double> weights;

		for (unsigned int i = 0; i < n; i++) {
			const int ret = make_crop(ps, f, &boxes[i]);

			if (ret)
				return ret;
			res[i] = vigil_person_result{ false, -1.0, 0 };
			if (ps->crop.rows < 128 || ps->crop.cols < 64)
				continue;
			found.clear();
			weights.clear();
			/* every window, ungrouped: the best margin is the score */
			ps->hog.detectMultiScale(ps->crop, found, weights,
						 ps->p.hit_threshold, cv::Size(8, 8),
						 cv::Size(8, 8), 1.05, 0, false);
			for (const double w : weights) {
				if (w > res[i].score)
					res[i].score = w;
				if (w > ps->p.hit_threshold)
					res[i].nhits++;
			}
			res[i].person = res[i].nhits > 0;
		}
		return 0;
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
}

int vigil_hog_crop(void *hp, const struct vigil_frame *f,
		   const struct vigil_box *box, uint8_t *buf, size_t len,
		   unsigned int *w, unsigned int *h)
{
	hog *ps = static_cast<hog *>(hp);

	try {
		const int ret = make_crop(ps, f, box);

		if (ret)
			return ret;
		if ((size_t)ps->crop.rows * (size_t)ps->crop.cols > len)
			return -ENOSPC;
		for (int y = 0; y < ps->crop.rows; y++)
			memcpy(buf + (size_t)y * ps->crop.cols,
			       ps->crop.ptr<uint8_t>(y), (size_t)ps->crop.cols);
		*w = (unsigned int)ps->crop.cols;
		*h = (unsigned int)ps->crop.rows;
		return 0;
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
}

