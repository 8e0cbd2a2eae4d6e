/* SPDX-License-Identifier: MIT */
/*
 * curlapi.c - resolves the libcurl functions flowzap uses, from the shared
 * library Debian's libcurl4 package installs (soname libcurl.so.4).
 */
#include "real/curlapi.h"

#include <dlfcn.h>
#include <stddef.h>

#include "core/status.h"

const fz_curl_api *fz__curl = NULL;

static fz_curl_api api;

/* ORDER CURLAPI: the fields of fz_curl_api, with libcurl's names. */
static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
    {"curl_global_init", offsetof(fz_curl_api, global_init)},
    {"curl_global_cleanup", offsetof(fz_curl_api, global_cleanup)},
    {"curl_easy_init", offsetof(fz_curl_api, easy_init)},
    {"curl_easy_setopt", offsetof(fz_curl_api, easy_setopt)},
    {"curl_easy_getinfo", offsetof(fz_curl_api, easy_getinfo)},
    {"curl_easy_cleanup", offsetof(fz_curl_api, easy_cleanup)},
    {"curl_easy_strerror", offsetof(fz_curl_api, easy_strerror)},
    {"curl_slist_append", offsetof(fz_curl_api, slist_append)},
    {"curl_slist_free_all", offsetof(fz_curl_api, slist_free_all)},
    {"curl_multi_init", offsetof(fz_curl_api, multi_init)},
    {"curl_multi_add_handle", offsetof(fz_curl_api, multi_add_handle)},
    {"curl_multi_remove_handle", offsetof(fz_curl_api, multi_remove_handle)},
    {"curl_multi_perform", offsetof(fz_curl_api, multi_perform)},
    {"curl_multi_info_read", offsetof(fz_curl_api, multi_info_read)},
    {"curl_multi_timeout", offsetof(fz_curl_api, multi_timeout)},
    {"curl_multi_poll", offsetof(fz_curl_api, multi_poll)},
    {"curl_multi_cleanup", offsetof(fz_curl_api, multi_cleanup)},
};

int fz_curl_load(const char **err)
{
    if (fz__curl)
        return FZ_OK;
    /* The library stays loaded for the life of the process, as a linked one would. */
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        *err = "libcurl.so.4 could not be loaded (install the libcurl4 package)";
        return FZ_EHTTP;
    }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *fn = dlsym(lib, symbols[i].name);
        if (!fn) {
            *err = "libcurl.so.4 lacks a function flowzap needs (libcurl 7.66 or later)";
            dlclose(lib);
            return FZ_EHTTP;
        }
        /* POSIX guarantees a function pointer survives the trip through void *. */
        *(void **)((char *)&api + symbols[i].offset) = fn;
    }
    fz__curl = &api;
    return FZ_OK;
}
