#ifndef NAMEINDEX_CSYSTEMD_SHIM_H
#define NAMEINDEX_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
