/* SPDX-License-Identifier: MIT */
/*
 * curlapi.h - libcurl, loaded with dlopen() the first time a run has an HTTP
 * rule. Linking libcurl would load it and its ~25 libraries (TLS, HTTP/2,
 * LDAP, Kerberos...) at every start of every command: about 5 ms each time,
 * for `check` and `sim` as much as for `run`. The engine calls libcurl only
 * through this table.
 */
#ifndef FZ_REAL_CURLAPI_H
#define FZ_REAL_CURLAPI_H

#include <curl/curl.h>

typedef struct fz_curl_api {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_timeout)(CURLM *m, long *ms);
    CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms,
                            int *numfds);
    CURLMcode (*multi_cleanup)(CURLM *m);
} fz_curl_api;

/* The table, once fz_curl_load() succeeded; NULL before. */
extern const fz_curl_api *fz__curl;

/* Loads libcurl (once per process; later calls return the same table).
 * Returns 0, or FZ_EHTTP with *err naming what is missing (static text).
 * Not thread-safe: called while a run is set up. */
int fz_curl_load(const char **err);

#endif
