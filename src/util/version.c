/* The library's version (xlat/version.h). */
#include "xlat/version.h"

unsigned xlat_version(void)
{
	return XLAT_VERSION_HEX;
}

const char *xlat_version_string(void)
{
	return XLAT_VERSION_STRING;
}
