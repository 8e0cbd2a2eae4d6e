/* SPDX-License-Identifier: MIT */
/* status.c - texts for the FZ_STATUS_MAP codes. */
#include "core/status.h"

const char *fz_strerror(int status)
{
    switch (status) {
    case FZ_OK:
        return "success";
#define FZ__STATUS_TEXT(name, code, text)                                      \
    case FZ_##name:                                                            \
        return text;
        FZ_STATUS_MAP(FZ__STATUS_TEXT)
#undef FZ__STATUS_TEXT
    default:
        return "unknown status";
    }
}

const char *fz_status_name(int status)
{
    switch (status) {
    case FZ_OK:
        return "FZ_OK";
#define FZ__STATUS_NAME(name, code, text)                                      \
    case FZ_##name:                                                            \
        return "FZ_" #name;
        FZ_STATUS_MAP(FZ__STATUS_NAME)
#undef FZ__STATUS_NAME
    default:
        return "FZ_UNKNOWN";
    }
}
