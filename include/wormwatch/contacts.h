/*
 * Contacts: the hosts one source tried over SMB lately, and how each
 * attempt relates to what the source already did with that host.
 *
 * The sequential test counts first contacts, and on a LAN most failed SMB
 * contacts that are not scanning are second looks at a host: a Windows
 * client opening \\server tries 445 and 139 together (or 139 once 445
 * failed), a logon script maps the same dead drives at every logon, a
 * monitor polls the same servers every few minutes, a printer retries its
 * dead share. Keeping the host, not the (host, port), as the unit of a
 * first contact makes all of those one contact. What a second port says
 * depends on the first one's fate:
 *
 *   - first still waiting: the redirector's pair; one client, one server.
 *   - first failed: the redirector's fallback; nothing new (and when the
 *     host was silent, the same client reaching for a server that is gone).
 *   - first accepted moments ago: nobody who just reached a server tries
 *     its other SMB port; a scanner checking each port does.
 *
 * A fixed ring of the CONTACT_HOSTS hosts touched most recently: 12 bytes
 * each, in every source's record. A host pushed out by that many newer
 * ones is a stranger again, which is what a scanner's targets are anyway.
 */
#ifndef WW_CONTACTS_H
#define WW_CONTACTS_H

#include <stdint.h>

#define WW_CONTACT_HOSTS 32
#define WW_CONTACT_PORT_CHECK_MS 2000 /* second port this soon after an accept: a check */

/* The ports a source can contact a host on (an ARP request counts as one). */
enum ww_contact_port { WW_CONTACT_SMB, WW_CONTACT_NBSS, WW_CONTACT_ARP, WW_CONTACT_OTHER };

enum ww_contact_kind {
    WW_CONTACT_NEW,        /* a host not in the ring */
    WW_CONTACT_REPEAT,     /* the same host and port again */
    WW_CONTACT_PAIRED,     /* another port of the host, tried while the first waits */
    WW_CONTACT_FALLBACK,   /* another port, after the first was refused (RST) */
    WW_CONTACT_SILENT_FALLBACK, /* another port, after the first went unanswered */
    WW_CONTACT_PORT_CHECK, /* another port, right after the first was accepted */
    WW_CONTACT_AGAIN       /* another port, long after an accept: nothing new */
};

struct ww_contact_host {
    uint32_t addr;
    uint32_t accepted_ms;  /* low 32 bits of the first acceptance's time in ms */
    uint8_t tried;         /* bit per enum ww_contact_port */
    uint8_t failed;        /* ... of which failed; the same bit << 4: by silence or ICMP */
    uint8_t accepted;      /* ... of which accepted */
    uint8_t first;         /* enum ww_contact_port of the first contact */
};

struct ww_contacts {
    struct ww_contact_host host[WW_CONTACT_HOSTS];
    uint8_t count, next;   /* used entries; where the next goes (the oldest once full) */
    uint8_t reserved[6];
};

enum ww_contact_port ww_contact_port_of(uint8_t proto, uint16_t port);

/* Notes an attempt on `addr` (ts in ns) and says how it relates to the past. */
enum ww_contact_kind ww_contacts_attempt(struct ww_contacts *c, uint32_t addr,
                                         enum ww_contact_port port, uint64_t ts_ns);
enum ww_contact_fate { WW_FATE_ACCEPTED, WW_FATE_REFUSED, WW_FATE_SILENT };

/* Notes an attempt's outcome: accepted, refused by the host (RST), or silent
   (no answer, or an ICMP unreachable). A host out of the ring is left alone. */
void ww_contacts_result(struct ww_contacts *c, uint32_t addr, enum ww_contact_port port,
                        enum ww_contact_fate fate, uint64_t ts_ns);
/* The port `addr` was first contacted on, or -1 if it is not in the ring. */
int ww_contacts_first_port(const struct ww_contacts *c, uint32_t addr);

#endif
