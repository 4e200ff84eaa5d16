/*
 * SipHash (Aumasson and Bernstein, 2012) over bytes, and the per-process key.
 * The fixed-size paths that the tables use live inline in hash.h; this file
 * is the general form they are tested against.
 */
#include "wormwatch/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define WW_HAVE_GETRANDOM 1
#endif
#endif

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

uint64_t ww_siphash(const struct ww_hash_key *key, unsigned c_rounds, unsigned d_rounds,
                    const void *data, size_t len)
{
    const uint8_t *in = data;
    struct ww_sip_state s = ww_sip_init(key);
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(in + i);
        s.v3 ^= m;
        for (unsigned r = 0; r < c_rounds; r++)
            ww_sip_round(&s);
        s.v0 ^= m;
    }
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)in[whole + i] << (8 * i);
    s.v3 ^= last;
    for (unsigned r = 0; r < c_rounds; r++)
        ww_sip_round(&s);
    s.v0 ^= last;
    s.v2 ^= 0xff;
    for (unsigned r = 0; r < d_rounds; r++)
        ww_sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* Fills buf from the kernel's generator; false if it gives nothing. */
static bool kernel_random(uint8_t *buf, size_t len)
{
    size_t got = 0;
#ifdef WW_HAVE_GETRANDOM
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break; /* ENOSYS on an old kernel: try the device */
    }
    if (got == len)
        return true;
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (!(n < 0 && errno == EINTR))
            break;
    }
    close(fd);
    return got == len;
}

bool ww_hash_key_random(struct ww_hash_key *key, char *err, size_t err_len)
{
    uint8_t bytes[16];
    if (!kernel_random(bytes, sizeof bytes)) {
        snprintf(err, err_len, "cannot draw a hash key: %s", strerror(errno ? errno : EIO));
        return false;
    }
    key->k0 = load_le64(bytes);
    key->k1 = load_le64(bytes + 8);
    return true;
}
