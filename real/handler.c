/* SPDX-License-Identifier: MIT */
/*
 * handler.c - the one registry of handler kinds, checked in one place: a
 * bindings rule names its handler by one of these keys. Adding a handler
 * is one ops table in handlers/ and one line here.
 */
#include "real/handler.h"

#include <string.h>

/* ORDER HANDLER */
static const fz_handler_ops *const registry[] = {
    &fz__handler_exec,
    &fz__handler_shell,
    &fz__handler_http,
    &fz__handler_sleep,
    &fz__handler_log,
    &fz__handler_set,
    &fz__handler_outcome,
    &fz__handler_fail,
    &fz__handler_approval,
    &fz__handler_noop,
    NULL,
};

const fz_handler_ops *fz_handler_find(const char *name, size_t len)
{
    for (size_t i = 0; registry[i]; i++)
        if (strlen(registry[i]->name) == len && memcmp(registry[i]->name, name, len) == 0)
            return registry[i];
    return NULL;
}

const fz_handler_ops *const *fz_handler_all(void)
{
    return registry;
}

const fz_handler_ops *fz_handler_noop(void)
{
    return &fz__handler_noop;
}
