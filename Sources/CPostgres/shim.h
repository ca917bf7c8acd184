#ifndef NAMEINDEX_CPOSTGRES_SHIM_H
#define NAMEINDEX_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
