/*
 * MS17-010 shapes, as ms17.h describes them. The parameter words are read
 * through a cursor of their own length: a command that claims fewer words
 * than its fixed fields need is reported truncated and judged no further.
 */
#include "wormwatch/ms17.h"

#include <string.h>

#include "wormwatch/bytes.h"

#define TRANS_PEEK_NMPIPE 0x0023
#define TRANS2_SESSION_SETUP 0x000E
#define TRANS_WORDS 28    /* TRANSACTION and TRANSACTION2 words before the setup */
#define NT_TRANS_WORDS 38 /* NT_TRANSACT words before the setup */
#define IMPLANT_MID_RAISE 0x10

static bool same_ids(const struct ww_smb1_ids *a, const struct ww_smb1_ids *b)
{
    return a->tid == b->tid && a->pid == b->pid && a->uid == b->uid && a->mid == b->mid;
}

/* PeekNamedPipe on FID 0 is the check; other TRANSACTIONs are the caller's. */
static enum ww_ms17_shape transaction(struct ww_cursor *c, bool *truncated,
                                      struct ww_ms17_finding *out)
{
    const uint8_t *p = ww_take_bytes(c, TRANS_WORDS), *setup = NULL;
    if (!p || (p[26] >= 2 && !(setup = ww_take_bytes(c, 4)))) {
        *truncated = true;
        return WW_MS17_NONE;
    }
    if (!setup || ww_load_le16(setup) != TRANS_PEEK_NMPIPE || ww_load_le16(setup + 2) != 0)
        return WW_MS17_NONE;
    out->fid = 0;
    return WW_MS17_CHECK;
}

static enum ww_ms17_shape transaction2(struct ww_ms17 *st, const struct ww_smb1_ids *ids,
                                       struct ww_cursor *c, bool *truncated,
                                       struct ww_ms17_finding *out)
{
    const uint8_t *p = ww_take_bytes(c, TRANS_WORDS), *setup = NULL;
    if (!p || (p[26] >= 1 && !(setup = ww_take_bytes(c, 2)))) {
        *truncated = true;
        return WW_MS17_NONE;
    }
    if (st->nt_open && same_ids(&st->nt_ids, ids))
        st->nt_open = false; /* a real TRANSACTION2 of that id: its secondaries are its own */
    if (!setup || ww_load_le16(setup) != TRANS2_SESSION_SETUP)
        return WW_MS17_NONE;
    out->timeout = ww_load_le32(p + 12);
    out->opcode = (uint8_t)(p[12] + p[13] + p[14] + p[15]);
    if (out->opcode != WW_DOUBLEPULSAR_PING)
        return WW_MS17_COMMAND;
    st->ping_due = true;
    st->ping_mid = ids->mid;
    st->ping_timeout = out->timeout;
    return WW_MS17_PING;
}

static enum ww_ms17_shape nt_transact(struct ww_ms17 *st, const struct ww_smb1_ids *ids,
                                      struct ww_cursor *c, bool *truncated)
{
    const uint8_t *p = ww_take_bytes(c, NT_TRANS_WORDS);
    if (!p) {
        *truncated = true;
        return WW_MS17_NONE;
    }
    st->nt_total_data = ww_load_le32(p + 7);
    st->nt_open = ww_load_le32(p + 27) < st->nt_total_data; /* DataCount below the total */
    st->nt_ids = *ids;
    st->nt_function = ww_load_le16(p + 36);
    return WW_MS17_NONE;
}

enum ww_ms17_shape ww_ms17_request(struct ww_ms17 *st, uint8_t command,
                                   const struct ww_smb1_ids *ids, const uint8_t *words,
                                   size_t words_len, bool *truncated, struct ww_ms17_finding *out)
{
    struct ww_cursor c = ww_cursor_make(words, words_len);
    memset(out, 0, sizeof *out);
    out->mid = ids->mid;
    *truncated = false;
    switch (command) {
    case WW_SMB1_TRANSACTION:
        out->shape = transaction(&c, truncated, out);
        break;
    case WW_SMB1_TRANSACTION2:
        out->shape = transaction2(st, ids, &c, truncated, out);
        break;
    case WW_SMB1_NT_TRANSACT:
        out->shape = nt_transact(st, ids, &c, truncated);
        break;
    case WW_SMB1_TRANSACTION2_SECONDARY:
        if (st->nt_open && same_ids(&st->nt_ids, ids)) {
            out->shape = WW_MS17_EXPLOIT;
            out->nt_total_data = st->nt_total_data;
            out->nt_function = st->nt_function;
        }
        break;
    default: break;
    }
    return out->shape;
}

enum ww_ms17_shape ww_ms17_answer(struct ww_ms17 *st, uint8_t command, uint16_t mid,
                                  struct ww_ms17_finding *out)
{
    memset(out, 0, sizeof *out);
    if (!st->ping_due || command != WW_SMB1_TRANSACTION2)
        return WW_MS17_NONE;
    if (mid == (uint16_t)(st->ping_mid + IMPLANT_MID_RAISE)) {
        st->ping_due = false;
        out->shape = WW_MS17_IMPLANT;
        out->mid = mid;
        out->timeout = st->ping_timeout;
        out->opcode = WW_DOUBLEPULSAR_PING;
    } else if (mid == st->ping_mid) {
        st->ping_due = false; /* answered as a clean server does */
    }
    return out->shape;
}
