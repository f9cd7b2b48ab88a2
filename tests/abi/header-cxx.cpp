// mdata.h must compile as C++ and link against the C library.
#include "mdata.h"

#include <cstring>

int main()
{
    return std::strcmp(mdata_err_name(MDATA_ETIMEDOUT), "MDATA_ETIMEDOUT") == 0
               ? 0
               : 1;
}
