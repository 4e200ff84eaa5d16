/*
 * The input format of the frame fuzz targets (fuzz_decode.c, fuzz_triage.c):
 * the first byte picks the link type (its low bits) and whether a snap length
 * cut the frame (its top bit: the wire length is then 1500 longer); the rest
 * is the frame, copied into a buffer of exactly its size so that any read
 * past it is caught.
 */
#ifndef WW_FUZZ_FRAME_INPUT_H
#define WW_FUZZ_FRAME_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/decode.h"

struct fuzz_frame {
    enum ww_link link;
    uint8_t *bytes;    /* malloc'd, cap_len bytes; free() it */
    uint32_t cap_len, wire_len;
};

/* False when there is no frame to try (empty input, no memory). */
static inline bool fuzz_frame_from(const uint8_t *data, size_t size, struct fuzz_frame *f)
{
    if (size < 1)
        return false;
    size_t len = size - 1;
    f->link = (enum ww_link)((data[0] & 0x7f) % WW_LINK__COUNT);
    f->cap_len = (uint32_t)len;
    f->wire_len = (uint32_t)len + (data[0] & 0x80 ? 1500 : 0);
    f->bytes = malloc(len ? len : 1);
    if (!f->bytes)
        return false;
    memcpy(f->bytes, data + 1, len);
    return true;
}

#endif
