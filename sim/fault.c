/* SPDX-License-Identifier: MIT */
/*
 * fault.c - names of the kinds of injected faults (fault.h), from the one
 * FZ_FAULT_MAP list.
 */
#include "sim/fault.h"

static const char *const fault_names[] = {
#define FZ__FAULT_NAME(name, text) text,
    FZ_FAULT_MAP(FZ__FAULT_NAME)
#undef FZ__FAULT_NAME
};

const char *fz_fault_name(fz_fault_kind k)
{
    return (unsigned)k < FZ_FAULT_COUNT ? fault_names[k] : "?";
}
