/* agg.h -- the event's live state: reaction totals and rates, the open
 * poll's tally, chant window, connected audience by role and section, energy.
 *
 * Everything here is a counter that sums: a later cluster module can add the
 * partials of several hubs (totals, per-window taps, option counts, chant
 * counts, connections) to get the event's figures. No I/O, no clocks: the
 * caller passes times in. */
#ifndef CHORUS_AGG_H
#define CHORUS_AGG_H

#include <stdint.h>
#include "chant.h"
#include "event.h"
#include "wire.h"

#define AGG_CHANTS_MAX 4096     /* distinct chant texts tracked in the window */

struct agg_poll {
    int64_t id;
    char *question;
    int nopts;
    char *options[WIRE_MAX_OPTIONS];
    int allow_change;
    int64_t opened_ms, closed_ms;
    int64_t counts[WIRE_MAX_OPTIONS];
    int64_t voters;
    enum poll_reveal reveal;
    int revealed;               /* results shown to everybody (live: always) */
    int64_t played_ms;          /* closed, and the crew confirmed option played_option ("Play it"); 0 not */
    int played_option;
};

/* Figures of one wall-clock second (for the `seconds` table). */
struct agg_second {
    int64_t sec, audience, taps, votes, chants;
    int64_t kind_taps[EVENT_MAX_REACTIONS];
};

struct agg {
    int nkinds, nsections;
    int64_t totals[EVENT_MAX_REACTIONS];
    int64_t *win;                   /* (nwin + 1) x nkinds taps per tick window */
    int nwin, cur;
    int64_t rate[EVENT_MAX_REACTIONS]; /* taps in the last nwin closed windows */
    double tick_s;
    struct agg_second sec;          /* accumulating second */
    struct agg_poll *poll;          /* open poll or NULL */
    uint8_t *votes;                 /* device id -> option + 1 in the open poll */
    size_t votes_cap;
    int64_t conns[ROLE_COUNT];
    int64_t *section_conns;         /* nsections + 1; the last is "no section" */
    double energy_ema;
    int energy;                     /* from this hub's taps and audience plus ext_* */
    int64_t ext_audience, ext_rate; /* the other hubs' (a cluster, peers.h): phones, taps in the last second */
    struct chant_top *chants;
    int64_t signals_total, votes_total, chants_total;
};

/* A new state for an event with nkinds reactions and nsections sections,
 * ticking every tick_ms. NULL on out-of-memory. */
struct agg *agg_new(int nkinds, int nsections, int tick_ms);
void agg_free(struct agg *a);

void agg_react(struct agg *a, int kind, int64_t n);
/* Taps made earlier (a phone's offline backlog, stored in the seconds they
 * were made): they count in the totals, not in the live rate, energy or the
 * current second. */
void agg_react_late(struct agg *a, int kind, int64_t n);
/* Count a normalized chant at second sec from device at now_ms; flags are
 * its moderation flags (chant.h). Returns 0, -1 when dropped from the
 * window (still counted). */
int agg_chant(struct agg *a, const char *key, const char *disp, int64_t sec, int64_t device, int64_t now_ms,
              uint8_t flags);

/* State reloaded from the database at start (store_open): reaction totals
 * and the open poll (or NULL) with its votes; with no open poll, the votes
 * of the last closed one (it can be reopened). */
struct agg_saved {
    int64_t totals[EVENT_MAX_REACTIONS];
    struct agg_poll *poll;      /* moved into agg by agg_load */
    int64_t *vote_device;       /* nvotes devices and their options */
    uint8_t *vote_option;
    size_t nvotes;
};

/* Take over what was saved: totals, open poll and its votes, without
 * counting them as live signals. Returns 0, or AGG_NOMEM. The caller still
 * frees saved's arrays (agg_saved_clear). */
int agg_load(struct agg *a, struct agg_saved *saved);
void agg_saved_clear(struct agg_saved *saved);

/* Make p the open poll (agg takes ownership; the previous one must have been
 * closed). Clears the per-device votes. */
void agg_poll_open(struct agg *a, struct agg_poll *p);
/* Close the open poll: returns it (caller frees with agg_poll_free), or NULL.
 * The per-device votes stay until the next agg_poll_open, so the poll can be
 * reopened with them. */
struct agg_poll *agg_poll_close(struct agg *a, int64_t closed_ms);
/* Reopen p, the poll closed last (agg takes ownership; none is open), with
 * the per-device votes it had. */
void agg_poll_reopen(struct agg *a, struct agg_poll *p);
void agg_poll_free(struct agg_poll *p);

#define AGG_ALREADY_VOTED (-2)
#define AGG_NOMEM         (-3)
/* Record device's choice in the open poll. Returns 0 and sets *prev to the
 * earlier option (or -1), AGG_ALREADY_VOTED when the poll does not allow a
 * change, AGG_NOMEM. The caller checked that a poll is open and option is
 * in range. */
int agg_vote(struct agg *a, int64_t device, int option, int *prev);
/* Undo a vote that could not be stored: if device still has `option`,
 * restore `prev` (-1 = none). */
void agg_vote_revert(struct agg *a, int64_t device, int option, int prev);
/* Take device's vote out of the open poll (a ban). Returns the option it
 * had, or -1. */
int agg_vote_remove(struct agg *a, int64_t device);
/* A cluster: the event's vote stream says device's choice in the open
 * poll is option (the stream already applied allow_change): set it.
 * Returns 0, or AGG_NOMEM. */
int agg_vote_set(struct agg *a, int64_t device, int option);
/* A vote from this hub's phone was stored by the cluster's vote stream:
 * count it in the signal figures (the tally follows the stream). */
void agg_vote_counted(struct agg *a);
/* Device's option in the open poll, or -1. */
int agg_vote_of(const struct agg *a, int64_t device);
/* With no poll open: device's option in the last closed poll (its votes stay
 * until the next poll opens), or -1. */
int agg_last_vote_of(const struct agg *a, int64_t device);
/* The open or closed poll's winner: the option with the most votes, or -1
 * on a tie for the most or with no vote. */
int agg_poll_winner(const struct agg_poll *p);

/* A connection of role (and section index, -1 none, for the audience) came
 * (delta +1) or went (-1). */
void agg_conn(struct agg *a, enum role r, int section, int delta);

/* Close the current tick window: update rates and energy. */
void agg_tick(struct agg *a);
/* Finish second sec: copy its figures to *out and start the next. */
void agg_second_done(struct agg *a, int64_t sec, struct agg_second *out);

#endif
