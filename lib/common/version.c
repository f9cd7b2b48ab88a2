#include "mdata.h"

unsigned int mdata_version(void)
{
    return MDATA_VERSION_HEX;
}

const char *mdata_version_string(void)
{
    return MDATA_VERSION_STRING;
}
