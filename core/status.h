/* SPDX-License-Identifier: MIT */
/*
 * status.h - the one list of status codes every flowzap module returns.
 * Status is an int: 0 is success, a negative FZ_E* names the failure.
 * The table is an X-macro so that codes and their texts never drift apart.
 */
#ifndef FZ_CORE_STATUS_H
#define FZ_CORE_STATUS_H

#define FZ_STATUS_MAP(XX)                                                      \
    XX(ENOMEM, -1, "out of memory")                                            \
    XX(EINVAL, -2, "invalid argument")                                         \
    XX(EIO, -3, "input/output error")                                          \
    XX(ENOENT, -4, "no such file or object")                                   \
    XX(EPARSE, -5, "invalid input")                                            \
    XX(ETOOBIG, -6, "input too large")                                         \
    XX(ESTATE, -7, "operation not valid in this state")                        \
    XX(EUNBOUND, -8, "node has no handler")                                    \
    XX(ETIMEOUT, -9, "timed out")                                              \
    XX(EDB, -10, "journal database error")                                     \
    XX(ECHANGED, -11, "workflow changed since the run started")                \
    XX(EFINISHED, -12, "run already finished")                                 \
    XX(ESYS, -13, "system call failed")                                        \
    XX(EHTTP, -14, "HTTP transfer failed")                                     \
    XX(ERENDER, -15, "rendering failed")                                       \
    XX(EINTR, -16, "interrupted")

enum {
    FZ_OK = 0,
#define FZ__STATUS_ENUM(name, code, text) FZ_##name = (code),
    FZ_STATUS_MAP(FZ__STATUS_ENUM)
#undef FZ__STATUS_ENUM
};

/* Returns a static, human-readable text for a status code (never NULL). */
const char *fz_strerror(int status);

/* Returns the code's name such as "FZ_ENOMEM" (never NULL). */
const char *fz_status_name(int status);

#endif
