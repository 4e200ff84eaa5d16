/*
 * Unit tests for the contact ring (contacts.h): what a second look at a host
 * is, by the fate of the first, and how long the ring remembers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/contacts.h"
#include "wormwatch/decode.h"
#include "wormwatch/probe.h"

#define MS(n) ((uint64_t)(n) * 1000000ULL)
#define HOST(n) (0x0a000100u + (uint32_t)(n))

static struct ww_contacts ring;

static enum ww_contact_kind try(uint32_t host, enum ww_contact_port port, uint64_t ts)
{
    return ww_contacts_attempt(&ring, host, port, ts);
}

static int setup(void **state)
{
    (void)state;
    memset(&ring, 0, sizeof ring);
    return 0;
}

static void test_ports(void **state)
{
    (void)state;
    assert_int_equal(ww_contact_port_of(WW_IPPROTO_TCP, 445), WW_CONTACT_SMB);
    assert_int_equal(ww_contact_port_of(WW_IPPROTO_TCP, 139), WW_CONTACT_NBSS);
    assert_int_equal(ww_contact_port_of(WW_PROTO_ARP, 0), WW_CONTACT_ARP);
    assert_int_equal(ww_contact_port_of(WW_IPPROTO_UDP, 137), WW_CONTACT_OTHER);
    assert_int_equal(ww_contact_port_of(WW_IPPROTO_TCP, 80), WW_CONTACT_OTHER);
}

/* The second port's meaning comes from the first port's fate. */
static void test_second_port_by_first_fate(void **state)
{
    (void)state;
    assert_int_equal(try(HOST(1), WW_CONTACT_SMB, MS(0)), WW_CONTACT_NEW);
    assert_int_equal(try(HOST(1), WW_CONTACT_SMB, MS(1)), WW_CONTACT_REPEAT);
    assert_int_equal(try(HOST(1), WW_CONTACT_NBSS, MS(2)), WW_CONTACT_PAIRED); /* 445 waits */

    assert_int_equal(try(HOST(2), WW_CONTACT_SMB, MS(0)), WW_CONTACT_NEW);
    ww_contacts_result(&ring, HOST(2), WW_CONTACT_SMB, WW_FATE_REFUSED, MS(5));
    assert_int_equal(try(HOST(2), WW_CONTACT_NBSS, MS(300)), WW_CONTACT_FALLBACK);

    assert_int_equal(try(HOST(3), WW_CONTACT_NBSS, MS(0)), WW_CONTACT_NEW);
    ww_contacts_result(&ring, HOST(3), WW_CONTACT_NBSS, WW_FATE_ACCEPTED, MS(1));
    assert_int_equal(try(HOST(3), WW_CONTACT_SMB, MS(2001)), WW_CONTACT_PORT_CHECK);

    assert_int_equal(try(HOST(6), WW_CONTACT_SMB, MS(0)), WW_CONTACT_NEW);
    ww_contacts_result(&ring, HOST(6), WW_CONTACT_SMB, WW_FATE_SILENT, MS(14000));
    assert_int_equal(try(HOST(6), WW_CONTACT_NBSS, MS(21000)), WW_CONTACT_SILENT_FALLBACK);

    assert_int_equal(try(HOST(4), WW_CONTACT_SMB, MS(0)), WW_CONTACT_NEW);
    ww_contacts_result(&ring, HOST(4), WW_CONTACT_SMB, WW_FATE_ACCEPTED, MS(1));
    assert_int_equal(try(HOST(4), WW_CONTACT_NBSS, MS(2002)), WW_CONTACT_AGAIN);

    /* ARP says nothing of ports, and a port after an ARP request is no news. */
    assert_int_equal(try(HOST(5), WW_CONTACT_ARP, MS(0)), WW_CONTACT_NEW);
    assert_int_equal(try(HOST(5), WW_CONTACT_SMB, MS(1)), WW_CONTACT_REPEAT);
    assert_int_equal(try(HOST(1), WW_CONTACT_ARP, MS(3)), WW_CONTACT_REPEAT);
    assert_int_equal(ww_contacts_first_port(&ring, HOST(3)), WW_CONTACT_NBSS);
    assert_int_equal(ww_contacts_first_port(&ring, HOST(9)), -1);
}

/* The port-check window is measured on a 32-bit ms clock: across its wrap too. */
static void test_port_check_window_wraps(void **state)
{
    (void)state;
    uint64_t accept = MS(0xFFFFFF00ull); /* 256 ms before the low 32 bits wrap */
    assert_int_equal(try(HOST(1), WW_CONTACT_SMB, accept - MS(1)), WW_CONTACT_NEW);
    ww_contacts_result(&ring, HOST(1), WW_CONTACT_SMB, WW_FATE_ACCEPTED, accept);
    assert_int_equal(try(HOST(1), WW_CONTACT_NBSS, accept + MS(1000)), WW_CONTACT_PORT_CHECK);
}

/* 32 hosts are remembered; the 33rd pushes out the oldest, and a repeat does
   not move a host forward (a poller's servers stay in order). */
static void test_ring_remembers_32_hosts(void **state)
{
    (void)state;
    for (int i = 0; i < WW_CONTACT_HOSTS; i++)
        assert_int_equal(try(HOST(i), WW_CONTACT_SMB, MS(i)), WW_CONTACT_NEW);
    for (int i = 0; i < WW_CONTACT_HOSTS; i++)
        assert_int_equal(try(HOST(i), WW_CONTACT_SMB, MS(100 + i)), WW_CONTACT_REPEAT);
    assert_int_equal(try(HOST(200), WW_CONTACT_SMB, MS(200)), WW_CONTACT_NEW);
    assert_int_equal(try(HOST(0), WW_CONTACT_SMB, MS(201)), WW_CONTACT_NEW); /* forgotten */
    assert_int_equal(try(HOST(2), WW_CONTACT_SMB, MS(202)), WW_CONTACT_REPEAT);
    ww_contacts_result(&ring, HOST(250), WW_CONTACT_SMB, WW_FATE_REFUSED, MS(203)); /* unknown: ignored */
    assert_int_equal(ring.count, WW_CONTACT_HOSTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ports, setup),
        cmocka_unit_test_setup(test_second_port_by_first_fate, setup),
        cmocka_unit_test_setup(test_port_check_window_wraps, setup),
        cmocka_unit_test_setup(test_ring_remembers_32_hosts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
