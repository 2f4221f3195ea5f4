/*
 * xlat/version.h — which libxlat this is. The numbers are the project's
 * version in CMakeLists.txt (a test checks that they agree); the library
 * says which one it was built as, so a program can check that the header
 * it compiled against and the library it links agree.
 */
#ifndef XLAT_VERSION_H
#define XLAT_VERSION_H

#include "xlat/base.h"

XLAT_API_BEGIN

#define XLAT_VERSION_MAJOR 0
#define XLAT_VERSION_MINOR 2
#define XLAT_VERSION_PATCH 0
#define XLAT_VERSION_STRING "0.2.0"
/* One number that grows: 0x00MMmmpp. */
#define XLAT_VERSION_HEX ((XLAT_VERSION_MAJOR << 16) | (XLAT_VERSION_MINOR << 8) | XLAT_VERSION_PATCH)

/* The version the library was built as (XLAT_VERSION_HEX of its headers). */
unsigned xlat_version(void);
/* "0.2.0" */
const char *xlat_version_string(void);

XLAT_API_END

#endif
