/* SPDX-License-Identifier: MIT */
/*
 * fuzz_serve_request.c - libFuzzer entry point for what `flowzap serve`
 * reads from a request (serve/request.h) and the HTML escaper: the input
 * is taken as a path, a Host header, a --listen value and a form body
 * (after libmicrohttpd has split the request, these are what flowzap's
 * own code parses). Checks: no crash, a route only for the exact paths,
 * decoded form values without NUL and within their buffer, escaped text
 * without a raw '<', '>', '"' or '\''. Seeds: tests/fuzz/corpus/serve_request/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/buf.h"
#include "serve/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    fz_route r;
    if (fz_serve_route(s, &r) != FZ_ROUTE_NONE) {
        if (s[0] != '/' || strstr(s, "..") || strstr(s, "//"))
            abort();
    }

    char host[64];
    uint16_t port;
    if (fz_serve_parse_listen(s, host, sizeof host, &port) == 0 && strlen(host) >= sizeof host)
        abort();
    (void)fz_serve_host_ok(s, "127.0.0.1", 7040);
    (void)fz_serve_host_ok(s, "::1", 0);
    (void)fz_serve_secret_eq(s, "0123456789abcdef0123456789abcdef");

    static const char *const keys[] = {"csrf", "node", "answer", "x y"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char v[40];
        memset(v, 'Z', sizeof v);
        int rc = fz_serve_form_value(s, size, keys[k], v, sizeof v);
        if (rc == 1 && strlen(v) >= sizeof v)
            abort();
    }

    fz_hbuf b;
    fz_hbuf_init(&b, NULL); /* NULL: the default allocator */
    fz_html_escape(&b, (const char *)data, size);
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '<' || b.p[i] == '>' || b.p[i] == '"' || b.p[i] == '\'' || b.p[i] == 0)
            abort();
    fz_hbuf_fini(&b);
    free(s);
    return 0;
}
