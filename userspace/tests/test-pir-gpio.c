// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The GPIO PIR source's lookup errors, without any GPIO hardware: every
 * wrong chip or line gives -errno and a message saying what was not found.
 * (Requests and edges on a real gpiochip: tests/vm/57-vigild-pir-gpio.sh.)
 */
#include "pir-gpio.h"
#include "t.h"

int main(void)
{
	struct pir_gpio *p = (struct pir_gpio *)1;
	char err[256];

	T_EQ(pir_gpio_api(), VIGIL_GPIOD_API);
	T_ASSERT(pir_gpio_api() == 1 || pir_gpio_api() == 2);

	err[0] = 0;
	T_EQ(pir_gpio_open("gpiochip0", "", "t", &p, err, sizeof(err)), -EINVAL);
	T_ASSERT(p == NULL);
	T_STRSTR(err, "no PIR line given");

	T_EQ(pir_gpio_open("/nonexistent/gpiochip9", "3", "t", &p, err, sizeof(err)), -ENOENT);
	T_STRSTR(err, "cannot open gpiochip /nonexistent/gpiochip9");

	T_EQ(pir_gpio_open(NULL, "3", "t", &p, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "given by offset needs a chip");

	T_EQ(pir_gpio_open("", "vigil-test-no-such-line", "t", &p, err, sizeof(err)), -ENOENT);
	T_STRSTR(err, "no GPIO line named 'vigil-test-no-such-line'");

	T_EQ(pir_gpio_open("vigil-test-no-such-chip", "PIR", "t", &p, err, sizeof(err)), -ENOENT);
	T_STRSTR(err, "no gpiochip named or labelled 'vigil-test-no-such-chip'");
	T_ASSERT(p == NULL);
	return t_done();
}
