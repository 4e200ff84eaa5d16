/*
 * Fuzz target: the NetBIOS name service parser on one UDP/137 payload, the
 * name decoder on the input's first 32 bytes, and the identity table on
 * every parsed message (machine names recorded, the rest refused). The
 * payload is copied into a buffer of exactly its size, so any read past it
 * is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/identity.h"
#include "wormwatch/nbname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ww_identities *identities(void)
{
    static struct ww_identities *t;
    static const struct ww_hash_key key = {3, 4};
    if (!t && !(t = ww_identities_new(16 * 1024, 600ULL * 1000000000ULL, &key)))
        abort();
    return t;
}

static void check_name(const struct ww_nbname *n)
{
    if (n->len > WW_NBNAME_LEN || n->name[n->len] != '\0' || (n->printable && strlen(n->name) != n->len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *payload = malloc(size ? size : 1);
    if (!payload)
        return 0;
    memcpy(payload, data, size);
    static struct ww_nbns_stats stats;
    static uint64_t clock_ns = 1500000000ULL * 1000000000ULL;
    clock_ns += 1000000000ULL;
    struct ww_nbns_message msg;
    if (ww_nbns_parse(&stats, payload, size, &msg) == WW_NBNS_OK) {
        check_name(&msg.name);
        if (msg.group != ((msg.nb_flags & WW_NB_FLAG_GROUP) != 0))
            abort();
        bool machine = ww_nbns_names_machine(&msg);
        bool recorded = ww_identity_netbios(identities(), &msg, clock_ns);
        if (recorded && !machine)
            abort();
        if (recorded) {
            const struct ww_identity *id = ww_identity_get(identities(), msg.address);
            if (!id || strcmp(id->netbios_name, msg.name.name) != 0)
                abort();
        }
    }
    if (size >= 32) {
        struct ww_nbname n;
        if (ww_nbname_decode(payload, &n))
            check_name(&n);
    }
    free(payload);
    return 0;
}
