/* mdata.h must compile as strict C99 with nothing else included. */
#include "mdata.h"

int main(void)
{
    return mdata_version() == MDATA_VERSION_HEX ? 0 : 1;
}
