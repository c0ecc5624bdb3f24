/* osc.h -- OSC over UDP (liblo): the crowd's figures out to show-control
 * desks (lights, video, sound), and a desk's cues in (markers, prepared
 * polls). The only module that includes <lo/lo.h>. docs/osc.md.
 *
 * Everything that touches the server runs on the loop thread (osc_run, as
 * a net wake-up). A small clock thread only waits: for the next frame to be
 * due or a datagram to arrive, then wakes the loop; it never reads, sends
 * or touches the server. Sockets are non-blocking: nothing here waits on
 * the loop. */
#ifndef CHORUS_OSC_H
#define CHORUS_OSC_H

#include <stddef.h>
#include <stdint.h>
#include "oscmap.h"
#include "server.h"

struct osc;

/* For ev->osc (not NULL): resolve every target's host (at start, before
 * the loop runs: a name that does not resolve is an error), open the
 * sending sockets and bind the listener to exactly the address `listen`
 * names. ev and srv must outlive the osc. shared (a cluster): when another
 * hub of this machine already listens on that address, this one goes
 * without OSC in instead of failing. Returns NULL with a one-line reason in
 * err. */
struct osc *osc_new(const struct event_def *ev, struct server *srv, int shared, char *err, size_t errlen);
/* Start the clock thread: it calls wake(warg) (which must be thread-safe;
 * net_wake fits) whenever osc_run has work. Returns 0, or -1. */
int osc_start(struct osc *o, void (*wake)(void *), void *warg);
/* Loop thread: read the datagrams waiting (at most OSC_IN_BATCH), send the
 * frames that are due, give the server the counters. arg is the osc. */
void osc_run(void *arg);
/* Loop thread: n taps of a section (index; -1, none, is ignored) were
 * counted, for the per-section rates. */
void osc_count_taps(struct osc *o, int section, int64_t n);
/* Stop the clock thread (no wake-up after this returns); osc_run does
 * nothing from then on. Safe to call twice. */
void osc_stop(struct osc *o);
/* Stop, close the sockets, free. osc_free(NULL) is a no-op. */
void osc_free(struct osc *o);

#define OSC_IN_BATCH 64          /* datagrams read per osc_run */
#define OSC_IN_MAX   4096        /* bytes of one datagram; longer is refused */

#endif
