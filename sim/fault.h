/* SPDX-License-Identifier: MIT */
/*
 * fault.h - the faults a simulation injects into a run (an error, a
 * timeout, a lane outage, a forced choice), as plain data: the backend
 * (backend_sim.h) records them, reports (report.h) count them by outcome.
 */
#ifndef FZ_SIM_FAULT_H
#define FZ_SIM_FAULT_H

#include <stdint.h>

/* ORDER FAULT: kinds of injected faults, as reports name them. */
#define FZ_FAULT_MAP(XX)                                                       \
    XX(NO, "no")                                                               \
    XX(ERROR, "error")                                                         \
    XX(TIMEOUT, "timeout")                                                     \
    XX(OUTAGE, "outage")                                                       \
    XX(CHOICE, "choice")

typedef enum fz_fault_kind {
#define FZ__FAULT_ENUM(name, text) FZ_FAULT_##name,
    FZ_FAULT_MAP(FZ__FAULT_ENUM)
#undef FZ__FAULT_ENUM
    FZ_FAULT_COUNT
} fz_fault_kind;

/* Plain data: one fault injected into a run. */
typedef struct fz_fault {
    uint32_t node;
    uint32_t kind; /* fz_fault_kind */
} fz_fault;

/* The name reports use for kind k ("error", ...); "?" when out of range. */
const char *fz_fault_name(fz_fault_kind k);

#endif
