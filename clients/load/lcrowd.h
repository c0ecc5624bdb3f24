/* lcrowd.h -- one chorus-load process's crowd: its devices, screens,
 * crew and probe as libwebsockets clients on one libevent loop.
 *
 * lcrowd_run() connects everyone at the paced rate, plays the configured
 * behaviour for the measure phase and returns the figures. It is the only
 * module of chorus-load that includes <libwebsockets.h>. */
#ifndef CHORUS_LCROWD_H
#define CHORUS_LCROWD_H

#include <stddef.h>
#include "lopts.h"
#include "lstats.h"

struct lcrowd_cfg {
    const struct lopts *o;
    int proc;                    /* 0 plays screens, crew and probe too */
    int first_device;            /* global index of this process's first device */
    int ndevices;                /* audience devices in this process */
    double connect_rate;         /* this process's share, per second */
    /* Called when everyone is connected ('C') and when the load ends ('D'). */
    void (*phase)(char what, void *arg);
    void *arg;
    /* After 'C', the load starts when a byte can be read from go_fd, so that
     * every process starts together; -1: start at once. */
    int go_fd;
};

/* Run the scenario to its end. Fills *r, and *votes (malloc'd, the caller
 * frees it) with one record per (poll, device) this process voted in.
 * Returns 0, or a negative value when the lws context or loop could not be
 * set up (nothing was measured then, *votes is NULL). */
int lcrowd_run(const struct lcrowd_cfg *cfg, struct lstats_run *r,
               struct lstats_vote **votes, size_t *nvotes);

#endif
