/* rec.h -- the records the server asks to persist, and the outcome of the
 * ones that want an ack. The server fills them; the store (hub/io/store.c)
 * writes them on its own thread and hands results back. Plain data, no
 * functions: this header is the contract between the two layers. */
#ifndef CHORUS_REC_H
#define CHORUS_REC_H

#include <stdint.h>
#include <stdlib.h>
#include "agg.h"
#include "auth.h"
#include "event.h"
#include "metrics.h"
#include "mod.h"

enum rec_type {
    REC_DEVICE = 1, REC_SESSION_START, REC_SESSION_END, REC_VOTE, REC_REACT, REC_CHANT,
    REC_POLL_OPEN, REC_POLL_CLOSE, REC_MARKER, REC_SECOND, REC_MOD, REC_POLL_REVEAL,
    REC_POLL_REOPEN, REC_MARKER_EDIT, REC_POLL_PLAY, REC_CTL, REC_OSC_GATE
};

/* A finished second: its figures and the reaction totals as of its end. */
struct rec_second {
    struct agg_second s;
    int64_t totals[EVENT_MAX_REACTIONS];
};

/* One write. Field use by type:
 *  DEVICE:        a = device, section
 *  SESSION_START: a = session id, b = device (0 none), c = role, section
 *  SESSION_END:   a = session id
 *  VOTE:          a = poll, b = device, c = option, d = previous option, section;
 *                 kind = 1: a re-send of a vote already queued (same cid):
 *                 nothing is written, it is acked once its round committed
 *  REACT:         b = device, kind = reaction, c = taps, section; d = 1: made
 *                 in an earlier second (ts_ms): also added to that second's
 *                 taps (seconds, second_reacts), which the hub's live second
 *                 never counted
 *  CHANT:         b = device, text, key (grouping key), section
 *  POLL_OPEN:     a = poll, b = audience at open, c = option count,
 *                 d = allow_change, kind = enum poll_reveal, text = question,
 *                 opts = c labels
 *  POLL_CLOSE:    a = poll (an on_close poll is revealed with it)
 *  POLL_REVEAL:   a = poll
 *  POLL_REOPEN:   a = poll (closed by mistake: open again, votes kept; an
 *                 on_close poll is hidden again)
 *  MARKER:        kind = enum marker_kind, text = label, b = the poll whose
 *                 crowd choice it starts (0 none)
 *  MARKER_EDIT:   a = the marker's ts_ms; c = 1 delete it; else text = new
 *                 label (NULL: kept), kind = new kind (-1: kept), b = its
 *                 poll link after the change (0 none)
 *  POLL_PLAY:     a = poll, c = the option the crew confirmed ("Play it");
 *                 reveals the results too
 *  CTL:           a = the cluster's control stream seq applied last
 *  OSC_GATE:      text = the gate's target name (NULL: the master gate),
 *                 c = 1 open, 0 closed (the crew's last choice, kept),
 *                 d = the event file's value for it then (its `enabled`)
 *  SECOND:        second
 *  MOD:           kind = enum mod_action, a = the crew's session id (0 for
 *                 the filter's MOD_BLOCKED), b = device (ban, unban, blocked),
 *                 c = the text's new flags (approve, hide, unhide) or the
 *                 mode (mode), text + key (approve, hide, unhide, blocked)
 * text, key, opts and second are malloc'd and owned by whoever takes the record
 * (also when taking it fails: see store_push). REACT, CHANT and MOD
 * without want_ack (the filter's refusals) are droppable: under pressure
 * they are refused first. */
struct rec {
    uint8_t type;               /* enum rec_type */
    uint8_t want_ack;
    int8_t section;             /* index in the event's sections, -1 none */
    int8_t kind;
    int32_t c, d;
    int64_t ts_ms;
    int64_t a, b;
    char *text;
    char *key;
    char **opts;
    struct rec_second *second;
    uint32_t slot, gen;         /* who to ack (the server's connection table) */
    int64_t msg_id;
};

/* The outcome of a record pushed with want_ack. */
struct rec_result {
    uint8_t type;
    uint8_t ok;
    int32_t c, d;
    int64_t a, b;
    uint32_t slot, gen;
    int64_t msg_id;
};

/* The store's figures for the crew's health view. */
struct rec_stats {
    int64_t queued, queue_max, commits, failed, dropped, last_commit_us, written;
    struct metrics_hist commit;     /* every transaction's time, BEGIN to COMMIT (/metrics) */
};

/* A show marker as the server keeps the newest ones. */
#define REC_MARKERS_MAX 20
struct rec_marker {
    char label[WIRE_MAX_TEXT + 1];
    enum marker_kind kind;
    int64_t ts;
    int64_t poll;               /* song_start of a crowd choice: its poll (rec_played), else 0 */
};

/* A poll whose result the crew confirmed ("Play it"), as the server keeps
 * the newest REC_PLAYED_MAX: what screens say when the chosen song starts.
 * Newest first. */
#define REC_PLAYED_MAX 4
struct rec_played {
    int64_t poll, played_ms, votes, voters;
    int option;
    int64_t marker_ts;          /* the song_start marker that started it, 0 not yet */
    char question[WIRE_MAX_QUESTION + 1];
    char label[WIRE_MAX_TEXT + 1];
};

/* What the store reloads at start for the server: the token secret, the
 * highest ids in use, every device's section and the live state. */
struct rec_boot {
    uint8_t secret[AUTH_SECRET_LEN];
    int64_t max_device, max_session, max_poll, ndevices;
    int8_t *device_section;     /* index = device id (<= max_device), -1 none; owner frees */
    struct agg_saved saved;     /* reaction totals, open poll and its votes */
    int has_chant_mode;         /* the crew switched the mode at some point: */
    enum mod_mode chant_mode;   /* its last choice (wins over the event file's) */
    struct mod_text *mod;       /* approved and hidden texts (nmod) */
    size_t nmod;
    int64_t *banned;            /* banned devices (nbanned) */
    size_t nbanned;
    struct agg_poll *last_closed;   /* the last closed poll with its final counts, or NULL */
    struct rec_marker *markers;     /* the newest markers, oldest first (nmarkers <= REC_MARKERS_MAX) */
    size_t nmarkers;
    struct rec_played played[REC_PLAYED_MAX];   /* the newest confirmed results, newest first */
    int nplayed;
    uint64_t ctl_seq;               /* a cluster: the control stream seq applied last */
    /* OSC gates as the crew left them (REC_OSC_GATE): the master (when
     * has_osc_master) and the targets switched, by name (nosc_gates). */
    int has_osc_master, osc_master, osc_master_file;
    struct rec_gate { char *name; int on, file; } *osc_gates;
    size_t nosc_gates;
};

/* Free what a boot holds (not boot itself); safe on a zeroed boot. */
static inline void rec_boot_clear(struct rec_boot *b) {
    free(b->device_section);
    b->device_section = NULL;
    agg_saved_clear(&b->saved);
    for (size_t i = 0; i < b->nmod; i++) { free(b->mod[i].key); free(b->mod[i].text); }
    free(b->mod);
    free(b->banned);
    agg_poll_free(b->last_closed);
    free(b->markers);
    for (size_t i = 0; i < b->nosc_gates; i++) free(b->osc_gates[i].name);
    free(b->osc_gates);
    b->osc_gates = NULL;
    b->nosc_gates = 0;
    b->last_closed = NULL;
    b->markers = NULL;
    b->nmarkers = 0;
    b->mod = NULL;
    b->banned = NULL;
    b->nmod = b->nbanned = 0;
}

#endif
