/*
 * Fuzz target: the DHCP parser on one UDP payload, then the identity table
 * on the parsed message (REQUESTs waiting, ACKs binding, RELEASEs
 * forgetting), with a small table so eviction and the pending slots are
 * exercised. Packet time moves on a second per input. The payload is copied
 * into a buffer of exactly its size, so any read past it is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wormwatch/dhcp.h"
#include "wormwatch/identity.h"
#include "wormwatch/jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ww_identities *identities(void)
{
    static struct ww_identities *t;
    static const struct ww_hash_key key = {1, 2};
    if (!t && !(t = ww_identities_new(16 * 1024, 600ULL * 1000000000ULL, &key)))
        abort();
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *payload = malloc(size ? size : 1);
    if (!payload)
        return 0;
    memcpy(payload, data, size);
    static struct ww_dhcp_stats stats;
    static uint64_t clock_ns = 1500000000ULL * 1000000000ULL;
    clock_ns += 1000000000ULL;
    struct ww_dhcp_message msg;
    if (ww_dhcp_parse(&stats, payload, size, &msg) == WW_DHCP_OK) {
        if (strlen(msg.hostname) != msg.hostname_len || msg.hostname_len > WW_DHCP_HOSTNAME_MAX ||
            msg.client_id_len > WW_DHCP_CLIENT_ID_MAX || msg.type > WW_DHCP_TYPE_MAX)
            abort();
        struct ww_identities *t = identities();
        ww_identity_dhcp(t, &msg, clock_ns);
        const struct ww_identity *id = ww_identity_get(t, msg.yiaddr ? msg.yiaddr : msg.ciaddr);
        /* Whatever a host named itself, the line is JSON that jansson reads. */
        struct ww_jsonw w;
        ww_jsonw_begin(&w);
        ww_identity_write(&w, "identity", id);
        char *line = ww_jsonw_line(&w);
        json_t *j = line ? json_loads(line, 0, NULL) : NULL;
        if (!j)
            abort();
        json_decref(j);
        free(line);
        if (ww_identities_table_stats(t)->entries > ww_identities_table_stats(t)->capacity)
            abort();
    }
    free(payload);
    return 0;
}
