/*
 * Unit tests for the stream store (stream.h).
 *
 * A recording consumer keeps every chunk it is given (kind, direction, length
 * and the bytes), so each test checks the exact sequence a flow's segments
 * turn into: in order, retransmitted, overlapping, reordered, lost, wrapped
 * around the sequence space, and the flow's end by FIN, RST, SYN, idleness,
 * eviction and flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/decode.h"
#include "wormwatch/stream.h"

#define NS_PER_SEC 1000000000ULL
#define T0 (1238414400ULL * NS_PER_SEC)
#define IDLE (60 * NS_PER_SEC)
#define MAX_CHUNKS 64
#define STATE_SIZE 40

struct chunk_log {
    enum ww_stream_chunk_kind kind;
    enum ww_stream_dir dir;
    size_t len;
    uint16_t client_port;
};

struct fixture {
    struct ww_stream_store *store;
    struct chunk_log chunk[MAX_CHUNKS];
    size_t chunks;
    uint8_t bytes[2][4096]; /* DATA bytes by direction, concatenated */
    size_t byte_count[2];
    bool give_up;           /* the consumer refuses more after its first chunk */
    size_t skip_next;       /* asked for after the next client DATA chunk, once */
    uint32_t state_seen;    /* the counter the consumer kept in the last flow's state */
};

static struct fixture fx;

static bool consumer(void *ctx, const struct ww_stream_key *key, void *state,
                     const struct ww_stream_chunk *chunk)
{
    struct fixture *f = ctx;
    assert_true(f->chunks < MAX_CHUNKS);
    f->chunk[f->chunks++] =
        (struct chunk_log){chunk->kind, chunk->dir, chunk->len, key->client_port};
    if (chunk->kind == WW_STREAM_DATA) {
        size_t *n = &f->byte_count[chunk->dir];
        assert_true(*n + chunk->len <= sizeof f->bytes[0]);
        memcpy(f->bytes[chunk->dir] + *n, chunk->data, chunk->len);
        *n += chunk->len;
    }
    if (f->skip_next && chunk->skip) {
        *chunk->skip = f->skip_next;
        f->skip_next = 0;
    }
    uint32_t *counter = state;
    (*counter)++;
    f->state_seen = *counter;
    return !f->give_up;
}

static void start_with(size_t flows, size_t hold)
{
    size_t per_flow = ww_stream_bytes_per_flow(STATE_SIZE, hold);
    struct ww_stream_config cfg = {.memory_bytes = flows * per_flow,
                                   .state_size = STATE_SIZE,
                                   .hold_bytes = hold,
                                   .idle_timeout_ns = IDLE,
                                   .consumer = consumer,
                                   .consumer_ctx = &fx};
    fx.store = ww_stream_new(&cfg);
    assert_non_null(fx.store);
    assert_int_equal(ww_stream_capacity(fx.store), flows);
}

static void start(void)
{
    start_with(8, 64);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ww_stream_free(fx.store);
    fx.store = NULL;
    return 0;
}

static const struct ww_stream_key KEY = {0x0A000005, 0x0A000109, 1033, 445};

static struct ww_stream_key key_port(uint16_t client_port)
{
    struct ww_stream_key k = KEY;
    k.client_port = client_port;
    return k;
}

/* The caller's hash; deliberately weak, so flows share buckets. */
static uint32_t hash_of(const struct ww_stream_key *k)
{
    return k->client_port & 3;
}

static uint8_t pattern[1024]; /* byte i is (uint8_t)(i * 7 + 1): where a byte came from shows */

static void send_on(const struct ww_stream_key *k, enum ww_stream_dir dir, uint64_t t,
                    uint32_t seq, uint32_t offset, size_t len, uint8_t flags)
{
    struct ww_segment seg = {t, seq, flags, len ? pattern + offset : NULL, len, len};
    ww_stream_segment(fx.store, hash_of(k), k, dir, &seg);
}

/* Client data of which only the first `captured` of `len` bytes were captured. */
static void client_cut(uint32_t base, uint32_t offset, size_t captured, size_t len)
{
    struct ww_segment seg = {T0, base + offset, WW_TCP_ACK, pattern + offset, captured, len};
    ww_stream_segment(fx.store, hash_of(&KEY), &KEY, WW_STREAM_TO_SERVER, &seg);
}

/* Client data at stream offset `offset` (seq = base + offset). */
static void client(uint32_t base, uint32_t offset, size_t len)
{
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, base + offset, offset, len, WW_TCP_ACK | WW_TCP_PSH);
}

static void assert_chunk(size_t i, enum ww_stream_chunk_kind kind, enum ww_stream_dir dir,
                         size_t len)
{
    assert_true(i < fx.chunks);
    assert_int_equal(fx.chunk[i].kind, kind);
    assert_int_equal(fx.chunk[i].dir, dir);
    assert_int_equal(fx.chunk[i].len, len);
}

/* The client bytes delivered are exactly the pattern's [from, to). */
static void assert_client_bytes(uint32_t from, uint32_t to)
{
    assert_int_equal(fx.byte_count[WW_STREAM_TO_SERVER], to - from);
    assert_memory_equal(fx.bytes[WW_STREAM_TO_SERVER], pattern + from, to - from);
}

static int fill_pattern(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7 + 1);
    return 0;
}

/* --- reassembly ------------------------------------------------------------ */

static void test_in_order_chunks_pass_through(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    client(1000, 10, 20);
    assert_int_equal(fx.chunks, 2);
    assert_chunk(0, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
    assert_chunk(1, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 20);
    assert_client_bytes(0, 30);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->flows, 1);
    assert_int_equal(st->segments, 2);
    assert_int_equal(st->bytes, 30);
    assert_int_equal(ww_stream_active(fx.store), 1);
}

static void test_retransmission_dropped_overlap_trimmed_first_wins(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    client(1000, 0, 10); /* a plain retransmission */
    /* bytes 5..9 again, but different: the first copy stands */
    struct ww_segment other = {T0, 1005, WW_TCP_ACK, pattern + 500, 15, 15};
    ww_stream_segment(fx.store, hash_of(&KEY), &KEY, WW_STREAM_TO_SERVER, &other);
    assert_int_equal(fx.chunks, 2);
    assert_chunk(1, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
    assert_memory_equal(fx.bytes[0], pattern, 10);
    assert_memory_equal(fx.bytes[0] + 10, pattern + 505, 10); /* only the new bytes, 10..19 */
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->retransmitted, 1);
    assert_int_equal(st->overlap_bytes, 5);
    assert_int_equal(st->bytes, 20);
}

static void test_reordered_segment_held_until_the_hole_fills(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    client(1000, 20, 10); /* ahead: held */
    client(1000, 30, 5);  /* extends the held run */
    assert_int_equal(fx.chunks, 1);
    client(1000, 10, 10); /* fills the hole */
    assert_int_equal(fx.chunks, 3);
    assert_chunk(1, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 15);
    assert_client_bytes(0, 35);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->held, 2);
    assert_int_equal(st->filled, 1);
    assert_int_equal(st->gaps, 0);
}

static void test_hole_filled_by_a_segment_overlapping_the_hold(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    client(1000, 20, 10);
    client(1000, 10, 15); /* fills and overlaps the held bytes 20..24 */
    assert_int_equal(fx.chunks, 3);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5); /* held 25..29 only */
    assert_client_bytes(0, 30);
}

static void test_second_hole_gives_the_first_up(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    client(1000, 20, 5);  /* held, hole 10..19 */
    client(1000, 40, 5);  /* another hole: the first is given up, this one held */
    assert_int_equal(fx.chunks, 3);
    assert_chunk(1, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 10);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5);
    ww_stream_flush(fx.store); /* the end gives the second up */
    assert_int_equal(fx.chunks, 6);
    assert_chunk(3, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 15);
    assert_chunk(4, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5);
    assert_chunk(5, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->gaps, 2);
    assert_int_equal(st->gap_bytes, 25);
    assert_int_equal(ww_stream_active(fx.store), 0);
}

static void test_segment_too_big_to_hold_is_a_gap_at_once(void **state)
{
    (void)state;
    start_with(8, 16);
    client(1000, 0, 10);
    client(1000, 30, 20);
    assert_int_equal(fx.chunks, 3);
    assert_chunk(1, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 20);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 20);
    client(1000, 10, 20); /* the hole's bytes, too late: old */
    assert_int_equal(fx.chunks, 3);
    assert_int_equal(ww_stream_stats(fx.store)->retransmitted, 1);
}

static void test_held_run_that_outgrows_the_hold_is_released(void **state)
{
    (void)state;
    start_with(8, 16);
    client(1000, 0, 10);
    client(1000, 20, 10); /* held */
    client(1000, 30, 10); /* 20 bytes would not fit: release, then deliver this */
    assert_int_equal(fx.chunks, 4);
    assert_chunk(1, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 10);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
    assert_chunk(3, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
}

static void test_no_hold_means_gap_then_data(void **state)
{
    (void)state;
    start_with(8, 0);
    client(1000, 0, 10);
    client(1000, 15, 5);
    assert_int_equal(fx.chunks, 3);
    assert_chunk(1, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 5);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5);
}

static void test_sequence_numbers_wrap_around(void **state)
{
    (void)state;
    start();
    uint32_t base = 0xFFFFFFF8u;
    client(base, 0, 6);
    client(base, 12, 8); /* seq 4, past zero, ahead: held */
    client(base, 6, 6);  /* seq 0xFFFFFFFE .. 3: fills */
    client(base, 0, 4);  /* old, across nothing */
    assert_client_bytes(0, 20);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->held, 1);
    assert_int_equal(st->filled, 1);
    assert_int_equal(st->retransmitted, 1);
    assert_int_equal(st->gaps, 0);
}

static void test_server_side_has_its_own_numbers_and_no_hold(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    send_on(&KEY, WW_STREAM_TO_CLIENT, T0, 7777, 100, 8, WW_TCP_ACK);
    send_on(&KEY, WW_STREAM_TO_CLIENT, T0, 7777 + 12, 112, 4, WW_TCP_ACK);
    assert_int_equal(fx.chunks, 4);
    assert_chunk(1, WW_STREAM_DATA, WW_STREAM_TO_CLIENT, 8);
    assert_chunk(2, WW_STREAM_GAP, WW_STREAM_TO_CLIENT, 4);
    assert_chunk(3, WW_STREAM_DATA, WW_STREAM_TO_CLIENT, 4);
    assert_memory_equal(fx.bytes[WW_STREAM_TO_CLIENT], pattern + 100, 8);
}

/* The snap length cut segments short: what it cut is a gap, in its place. */
static void test_cut_segments_leave_gaps_where_bytes_were_cut(void **state)
{
    (void)state;
    start();
    client_cut(1000, 0, 6, 10); /* 6 of 10 captured */
    client(1000, 10, 5);
    client_cut(1000, 12, 2, 8); /* overlaps 12..14, captured 12..13, cut 14..19 */
    client_cut(1000, 20, 0, 4); /* nothing captured of a known flow */
    assert_int_equal(fx.chunks, 5);
    assert_chunk(0, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 6);
    assert_chunk(1, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 4);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5);
    assert_chunk(3, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 5); /* 15..19 */
    assert_chunk(4, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 4);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->cut_bytes, 13);
    assert_int_equal(st->gap_bytes, 13);
    client_cut(1000, 14, 2, 6); /* all old now */
    assert_int_equal(st->retransmitted, 1);
    /* a cut segment ahead of a hole is never held: the hole is given up at once */
    client(1000, 30, 4); /* held */
    client_cut(1000, 40, 3, 9);
    assert_int_equal(st->held, 1);
    assert_chunk(5, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 6);  /* 24..29 */
    assert_chunk(6, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 4); /* the held 30..33 */
    assert_chunk(7, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 6);  /* 34..39 */
    assert_chunk(8, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 3);
    assert_chunk(9, WW_STREAM_GAP, WW_STREAM_TO_SERVER, 6);  /* the cut 43..48 */
    assert_int_equal(fx.chunks, 10);
}

/* --- the flows' lives ---------------------------------------------------------- */

static void test_only_client_data_creates_a_flow(void **state)
{
    (void)state;
    start();
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 1000, 0, 0, WW_TCP_SYN);
    send_on(&KEY, WW_STREAM_TO_CLIENT, T0, 5000, 0, 0, WW_TCP_SYN | WW_TCP_ACK);
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 1001, 0, 0, WW_TCP_ACK); /* a zero-length ACK */
    send_on(&KEY, WW_STREAM_TO_CLIENT, T0, 5001, 0, 10, WW_TCP_ACK);
    struct ww_segment no_bytes = {T0, 1001, WW_TCP_ACK, NULL, 10, 10};
    ww_stream_segment(fx.store, hash_of(&KEY), &KEY, WW_STREAM_TO_SERVER, &no_bytes);
    /* a length with no bytes is no data: it creates nothing */
    assert_int_equal(fx.chunks, 0);
    assert_int_equal(ww_stream_active(fx.store), 0);
    assert_int_equal(ww_stream_stats(fx.store)->unknown_server_segments, 1);
    client(1001, 0, 4); /* mid-flow start: this sequence number is the beginning */
    assert_int_equal(ww_stream_active(fx.store), 1);
    assert_client_bytes(0, 4);
}

static void test_fin_and_rst_end_a_flow(void **state)
{
    (void)state;
    start();
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 1000, 0, 5, WW_TCP_ACK | WW_TCP_FIN);
    assert_int_equal(fx.chunks, 2);
    assert_chunk(0, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 5);
    assert_chunk(1, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    struct ww_stream_key other = key_port(2000);
    send_on(&other, WW_STREAM_TO_SERVER, T0, 1, 0, 5, WW_TCP_ACK);
    send_on(&other, WW_STREAM_TO_CLIENT, T0, 9, 0, 0, WW_TCP_RST);
    assert_int_equal(fx.chunks, 4);
    assert_chunk(3, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    assert_int_equal(ww_stream_stats(fx.store)->closed, 2);
    assert_int_equal(ww_stream_active(fx.store), 0);
}

/*
 * Bytes the consumer skips are never delivered: the store moves past them,
 * a segment inside them is old news, one straddling their end gives its
 * tail, and the table triage reads names the flow until the flow ends.
 */
static void test_skipped_bytes_are_never_delivered(void **state)
{
    (void)state;
    start();
    const struct ww_flow_skips *sk = ww_stream_skips(fx.store);
    fx.skip_next = 100;
    client(1000, 0, 10); /* asks to skip bytes 10-109 */
    assert_int_equal(sk->valid, 1);
    assert_true(ww_flow_skips_covers(sk, KEY.client, KEY.server, KEY.client_port,
                                     KEY.server_port, 1000 + 10, 100));
    assert_false(ww_flow_skips_covers(sk, KEY.client, KEY.server, KEY.client_port,
                                      KEY.server_port, 1000 + 10, 101));
    client(1000, 10, 50);  /* inside: dropped */
    client(1000, 60, 60);  /* straddles the end: bytes 110-119 delivered */
    assert_int_equal(fx.chunks, 2);
    assert_chunk(1, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 10);
    assert_int_equal(fx.bytes[WW_STREAM_TO_SERVER][10], pattern[110]);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->skipped_bytes, 100);
    assert_int_equal(st->retransmitted, 1);
    assert_int_equal(st->gaps, 0);
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 1000 + 120, 120, 0, WW_TCP_ACK | WW_TCP_FIN);
    assert_int_equal(sk->valid, 0); /* the flow is gone: nothing may be dropped for it */
    assert_false(ww_flow_skips_covers(sk, KEY.client, KEY.server, KEY.client_port,
                                      KEY.server_port, 1000 + 10, 1));
}

static void test_syn_on_a_known_flow_starts_it_again(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    assert_int_equal(fx.state_seen, 1);
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 90000, 0, 0, WW_TCP_SYN);
    assert_chunk(1, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    send_on(&KEY, WW_STREAM_TO_SERVER, T0, 90001, 0, 3, WW_TCP_ACK);
    assert_chunk(2, WW_STREAM_DATA, WW_STREAM_TO_SERVER, 3);
    assert_int_equal(fx.state_seen, 1); /* the new flow's state was zeroed */
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->restarted, 1);
    assert_int_equal(st->flows, 2);
}

static void test_idle_flow_expires_in_packet_time(void **state)
{
    (void)state;
    start();
    client(1000, 0, 10);
    ww_stream_advance(fx.store, T0 + IDLE); /* exactly the timeout: still there */
    assert_int_equal(ww_stream_active(fx.store), 1);
    ww_stream_advance(fx.store, T0 + IDLE + 1);
    assert_int_equal(ww_stream_active(fx.store), 0);
    assert_chunk(1, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    assert_int_equal(ww_stream_stats(fx.store)->expired, 1);
    ww_stream_advance(fx.store, T0); /* time never runs backwards */
    assert_int_equal(ww_stream_stats(fx.store)->expired, 1);
}

static void test_full_store_evicts_the_least_recently_active(void **state)
{
    (void)state;
    start_with(2, 64);
    struct ww_stream_key a = key_port(1), b = key_port(2), c = key_port(3);
    send_on(&a, WW_STREAM_TO_SERVER, T0, 10, 0, 1, WW_TCP_ACK);
    send_on(&b, WW_STREAM_TO_SERVER, T0, 10, 0, 1, WW_TCP_ACK);
    send_on(&a, WW_STREAM_TO_SERVER, T0, 11, 1, 1, WW_TCP_ACK); /* a is the newer now */
    send_on(&c, WW_STREAM_TO_SERVER, T0, 10, 0, 1, WW_TCP_ACK);
    assert_int_equal(ww_stream_active(fx.store), 2);
    assert_int_equal(ww_stream_stats(fx.store)->evicted, 1);
    assert_chunk(3, WW_STREAM_END, WW_STREAM_TO_SERVER, 0);
    assert_int_equal(fx.chunk[3].client_port, 2);
    send_on(&a, WW_STREAM_TO_SERVER, T0, 12, 2, 1, WW_TCP_ACK); /* a is still known */
    assert_int_equal(ww_stream_stats(fx.store)->flows, 3);
}

static void test_consumer_gives_up_and_bytes_are_counted(void **state)
{
    (void)state;
    start();
    fx.give_up = true;
    client(1000, 0, 10);
    client(1000, 10, 7);
    assert_int_equal(fx.chunks, 1);
    const struct ww_stream_stats *st = ww_stream_stats(fx.store);
    assert_int_equal(st->abandoned, 1);
    assert_int_equal(st->ignored_bytes, 7);
    ww_stream_flush(fx.store);
    assert_chunk(1, WW_STREAM_END, WW_STREAM_TO_SERVER, 0); /* END comes all the same */
}

static void test_budget_too_small_or_no_consumer(void **state)
{
    (void)state;
    struct ww_stream_config cfg = {.memory_bytes = ww_stream_bytes_per_flow(STATE_SIZE, 64) - 1,
                                   .state_size = STATE_SIZE,
                                   .hold_bytes = 64,
                                   .idle_timeout_ns = IDLE,
                                   .consumer = consumer,
                                   .consumer_ctx = &fx};
    assert_null(ww_stream_new(&cfg));
    cfg.memory_bytes += 1;
    cfg.consumer = NULL;
    assert_null(ww_stream_new(&cfg));
    assert_true(ww_stream_bytes_per_flow(STATE_SIZE, 64) >= STATE_SIZE + 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_chunks_pass_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmission_dropped_overlap_trimmed_first_wins,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reordered_segment_held_until_the_hole_fills, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hole_filled_by_a_segment_overlapping_the_hold, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_second_hole_gives_the_first_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_too_big_to_hold_is_a_gap_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_run_that_outgrows_the_hold_is_released, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_hold_means_gap_then_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_numbers_wrap_around, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_side_has_its_own_numbers_and_no_hold, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cut_segments_leave_gaps_where_bytes_were_cut, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_client_data_creates_a_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fin_and_rst_end_a_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skipped_bytes_are_never_delivered, setup, teardown),

        cmocka_unit_test_setup_teardown(test_syn_on_a_known_flow_starts_it_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_flow_expires_in_packet_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store_evicts_the_least_recently_active, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_consumer_gives_up_and_bytes_are_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_budget_too_small_or_no_consumer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, fill_pattern, NULL);
}
