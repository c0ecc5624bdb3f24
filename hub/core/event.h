/* event.h -- the event definition, read and validated from the event file
 * (JSON, via jansson). An event file that fails validation is refused with a
 * one-line reason naming the field. */
#ifndef CHORUS_EVENT_H
#define CHORUS_EVENT_H

#include <stddef.h>
#include "wire.h"

struct filter;
struct oscmap_conf;

/* A poll prepared in the event file (`polls`), so a desk cue can open it
 * (OSC /chorus/poll/open, by index or name). Validated like poll.open. */
#define EVENT_MAX_POLLS 64
struct event_poll {
    char name[33];              /* "" when the file gave none */
    char *question;
    int nopts;
    char *options[WIRE_MAX_OPTIONS];
    int allow_change;
    enum poll_reveal reveal;
};

#define EVENT_MAX_REACTIONS 16
#define EVENT_MAX_SECTIONS  64
#define EVENT_MAX_SONGS     200
#define EVENT_NAME_MAX      32   /* reaction and section names, bytes */

/* The first LIM_DEVICE_COUNT limits belong to the audience device (they
 * survive its reconnections, devices.h); pings and crew_msgs belong to the
 * connection; joins_per_ip and key_failures_per_ip to the source address. */
enum limit_id { LIM_REACT_TAPS, LIM_REACT_MSGS, LIM_VOTES, LIM_CHANTS, LIM_PINGS, LIM_JOINS_PER_IP,
                LIM_CREW_MSGS, LIM_KEY_FAILURES, LIM_COUNT };
#define LIM_DEVICE_COUNT (LIM_CHANTS + 1)

#define EVENT_MAX_ORIGINS 32
#define EVENT_ORIGIN_MAX  200  /* bytes of one origin */

struct event_limit { double rate, burst; };

struct event_def {
    char code[33];
    char name[129];
    int nreactions;
    char reactions[EVENT_MAX_REACTIONS][EVENT_NAME_MAX + 1];
    int nsections;
    char sections[EVENT_MAX_SECTIONS][EVENT_NAME_MAX + 1];
    int nsongs;
    char **songs;
    char key_crew[257], key_screen[257], key_performer[257];
    struct event_limit limits[LIM_COUNT];
    enum mod_mode mod_mode;     /* moderation.mode (default auto) */
    struct filter *filter;      /* built-in lists + moderation.block - moderation.allow */
    char *config_json;   /* the file's JSON without "keys", for the database */
    /* "origins": web origins (scheme://host[:port]) besides the hub's own
     * whose pages may open the WebSocket; "screen_frame_ancestors": where
     * the screen page may be framed (CSP frame-ancestors sources; none by
     * default). Both checked at load: no spaces, quotes, ';' or ','. */
    int norigins;
    char origins[EVENT_MAX_ORIGINS][EVENT_ORIGIN_MAX + 1];
    int nframe_ancestors;
    char frame_ancestors[EVENT_MAX_ORIGINS][EVENT_ORIGIN_MAX + 1];
    int npolls;
    struct event_poll *polls;   /* `polls`: prepared polls (OSC /chorus/poll/open) */
    struct oscmap_conf *osc;    /* `osc`: targets and listener (oscmap.h), NULL when absent */
};

extern const char *const event_limit_names[LIM_COUNT];

/* Read and validate path. Returns a new event_def, or NULL with a one-line
 * reason in err. Free with event_def_free(). */
struct event_def *event_def_load(const char *path, char *err, size_t errlen);
void event_def_free(struct event_def *ev);

/* Index of a reaction/section name (n bytes), or -1. */
int event_def_reaction(const struct event_def *ev, const char *s, size_t n);
int event_def_section(const struct event_def *ev, const char *s, size_t n);
/* Index of the prepared poll named s[0..n), or -1. */
int event_def_poll(const struct event_def *ev, const char *s, size_t n);

#endif
