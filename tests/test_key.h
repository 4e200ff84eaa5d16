/* The fixed hash key of the unit tests (the SipHash paper's test key): a
   sensor draws its own per process, and never takes one from its user. */
#ifndef WW_TEST_KEY_H
#define WW_TEST_KEY_H

#include "wormwatch/hash.h"

static const struct ww_hash_key ww_test_key = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

#endif
