/*
 * Fuzz target: the Redis output spec parser (-o redis://... and
 * redis+unix:...), on text the input gives as the rest of a spec after one
 * of the two prefixes (its first byte chooses which). Nothing is resolved
 * or connected. What is accepted must be self-consistent: a key, a port
 * above 0, a path or a host, maxlen only with xadd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    const char *prefix = data[0] & 1 ? "redis+unix:" : "redis://";
    size_t plen = strlen(prefix);
    char *spec = malloc(plen + size); /* data[0] gives way to the terminator */
    if (!spec)
        abort();
    memcpy(spec, prefix, plen);
    memcpy(spec + plen, data + 1, size - 1);
    spec[plen + size - 1] = '\0';
    struct ww_redis_target t;
    char err[256];
    if (ww_redis_parse_only(spec, &t, err, sizeof err)) {
        bool is_unix = t.unix_path[0] != '\0';
        if (!t.key[0] || strlen(t.key) >= sizeof t.key || (is_unix == (t.host[0] != '\0')) ||
            (!is_unix && t.port == 0) || (t.maxlen && t.mode != WW_REDIS_XADD) ||
            (unsigned)t.mode > WW_REDIS_XADD)
            abort();
    } else if (!err[0] || !memchr(err, '\0', sizeof err)) {
        abort();
    }
    free(spec);
    return 0;
}
