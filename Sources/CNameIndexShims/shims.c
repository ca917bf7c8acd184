// The shims are inline functions in include/nameindex_shims.h; SwiftPM needs one source file.
#include "nameindex_shims.h"
