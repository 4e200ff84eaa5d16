/*
 * HyperLogLog (Flajolet et al., 2007) with the small-range correction; the
 * registers are 4 bits, which holds runs up to 15 zero bits: enough for
 * about 128 * 2^15 = 4 million distinct keys before the estimate saturates.
 */
#include "wormwatch/distinct.h"

#include <math.h>

#define REGISTER_MAX 15

static unsigned register_get(const struct ww_hll *h, unsigned i)
{
    return (h->reg[i / 2] >> (4 * (i % 2))) & 0xf;
}

void ww_hll_add(struct ww_hll *h, uint64_t hash)
{
    unsigned i = (unsigned)(hash >> (64 - WW_HLL_BITS));
    uint64_t rest = hash << WW_HLL_BITS;
    unsigned run = 1;
    while (run < REGISTER_MAX && !(rest & (1ULL << 63))) {
        rest <<= 1;
        run++;
    }
    if (run > register_get(h, i)) {
        unsigned shift = 4 * (i % 2);
        h->reg[i / 2] = (uint8_t)((h->reg[i / 2] & ~(0xfu << shift)) | run << shift);
    }
}

double ww_hll_estimate(const struct ww_hll *h)
{
    const double m = WW_HLL_REGISTERS;
    double sum = 0.0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < WW_HLL_REGISTERS; i++) {
        unsigned r = register_get(h, i);
        sum += ldexp(1.0, -(int)r);
        zeros += r == 0;
    }
    double alpha = 0.7213 / (1.0 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros); /* linear counting: far better for small numbers */
    return e;
}
