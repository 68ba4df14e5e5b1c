// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library's version, for programs that check it at run time. */
#include "libvigil.h"

#define STR2(x) #x
#define STR(x) STR2(x)

unsigned int vigil_version(void)
{
	return VIGIL_VERSION;
}

const char *vigil_version_string(void)
{
	return STR(VIGIL_VERSION_MAJOR) "." STR(VIGIL_VERSION_MINOR) "."
	       STR(VIGIL_VERSION_PATCH);
}
