/*
 * MS17-010: the SMB1 request shapes of EternalBlue, of the checks for it and
 * of the DoublePulsar implant it installs (WannaCry's three steps).
 *
 * - Exploit: an NT_TRANSACT sent incomplete (its DataCount below its 32-bit
 *   TotalDataCount) and then continued by a TRANSACTION2_SECONDARY of the same
 *   transaction (TID, PID, UID, MID). A vulnerable server takes the secondary
 *   as its own, with TRANSACTION2's 16-bit sizes: the confusion EternalBlue's
 *   overflow relies on. No client sends it. A real TRANSACTION2 primary of the
 *   same id in between makes its secondaries its own again.
 * - Check: PeekNamedPipe (a TRANSACTION, setup 0x23) on FID 0, which no pipe
 *   has: a vulnerable server answers STATUS_INSUFF_SERVER_RESOURCES (nmap's
 *   smb-vuln-ms17-010, Metasploit's scanner, WannaCry before it fires).
 * - DoublePulsar: TRANSACTION2 with subcommand SESSION_SETUP (0x000E), which
 *   Windows never implemented. The command is the byte sum of the Timeout
 *   field: 0x23 ping, 0xC8 exec, 0x77 kill. The implant answers a ping with
 *   the Multiplex ID raised by 16; a clean server answers with the same MID.
 *
 * Pure functions over one flow's small state, fed the SMB1 command, ids and
 * parameter words the caller has already bounds-checked.
 */
#ifndef WW_MS17_H
#define WW_MS17_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_SMB1_TRANSACTION 0x25
#define WW_SMB1_TRANSACTION2 0x32
#define WW_SMB1_TRANSACTION2_SECONDARY 0x33
#define WW_SMB1_NT_TRANSACT 0xA0

#define WW_DOUBLEPULSAR_PING 0x23
#define WW_DOUBLEPULSAR_EXEC 0xC8
#define WW_DOUBLEPULSAR_KILL 0x77

/* The ids that name an SMB1 transaction. */
struct ww_smb1_ids {
    uint16_t tid, pid, uid, mid;
};

/* One flow's MS17-010 state. Zeroed = nothing pending. */
struct ww_ms17 {
    bool nt_open;               /* an incomplete NT_TRANSACT is waiting for more data */
    struct ww_smb1_ids nt_ids;  /* its ids */
    uint16_t nt_function;
    uint32_t nt_total_data;     /* its TotalDataCount */
    bool ping_due;              /* a DoublePulsar ping's answer is awaited */
    uint16_t ping_mid;          /* its Multiplex ID */
    uint32_t ping_timeout;      /* and its Timeout field */
};

enum ww_ms17_shape {
    WW_MS17_NONE,
    WW_MS17_EXPLOIT,     /* the transaction confusion */
    WW_MS17_CHECK,       /* PeekNamedPipe on FID 0 */
    WW_MS17_PING,        /* DoublePulsar ping */
    WW_MS17_COMMAND,     /* DoublePulsar exec, kill or an unknown command */
    WW_MS17_IMPLANT      /* a server answered a ping as the implant does */
};

struct ww_ms17_finding {
    enum ww_ms17_shape shape;
    uint16_t mid;           /* of the request (IMPLANT: of the answer) */
    uint32_t nt_total_data; /* EXPLOIT */
    uint16_t nt_function;   /* EXPLOIT */
    uint16_t fid;           /* CHECK */
    uint32_t timeout;       /* PING, COMMAND, IMPLANT: the (ping's) Timeout field */
    uint8_t opcode;         /* PING, COMMAND, IMPLANT: its byte sum */
};

/*
 * A client request's command, ids and parameter words. Returns the shape it
 * has (WW_MS17_NONE for most); *truncated says its words were too few to read.
 */
enum ww_ms17_shape ww_ms17_request(struct ww_ms17 *st, uint8_t command,
                                   const struct ww_smb1_ids *ids, const uint8_t *words,
                                   size_t words_len, bool *truncated,
                                   struct ww_ms17_finding *out);
/* A server reply's command and Multiplex ID: WW_MS17_IMPLANT or WW_MS17_NONE. */
enum ww_ms17_shape ww_ms17_answer(struct ww_ms17 *st, uint8_t command, uint16_t mid,
                                  struct ww_ms17_finding *out);

#endif
