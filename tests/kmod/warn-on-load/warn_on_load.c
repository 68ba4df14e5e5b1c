// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: WARN_ON(1) at load time.  Used by the harness test that
 * proves scripts/vm fails a run whose guest kernel logged a WARNING.  Never
 * part of the normal build.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_on_load_exit(void)
{
}

module_init(warn_on_load_init);
module_exit(warn_on_load_exit);
MODULE_DESCRIPTION("vigil test: WARN_ON(1) on load");
MODULE_LICENSE("GPL");
