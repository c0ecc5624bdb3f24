/* event.h -- the event definition, read and validated from the event file
 * (JSON, via jansson). An event file that fails validation is refused with a
 * one-line reason naming the field. */
#ifndef CHORUS_EVENT_H
#define CHORUS_EVENT_H

#include <stddef.h>
#include "wire.h"

struct filter;

#define EVENT_MAX_REACTIONS 16
#define EVENT_MAX_SECTIONS  64
#define EVENT_MAX_SONGS     200
#define EVENT_NAME_MAX      32   /* reaction and section names, bytes */

enum limit_id { LIM_REACT_TAPS, LIM_REACT_MSGS, LIM_VOTES, LIM_CHANTS, LIM_PINGS, LIM_JOINS_PER_IP, LIM_COUNT };

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
};

extern const char *const event_limit_names[LIM_COUNT];

/* Read and validate path. Returns a new event_def, or NULL with a one-line
 * reason in err. Free with event_def_free(). */
struct event_def *event_def_load(const char *path, char *err, size_t errlen);
void event_def_free(struct event_def *ev);

/* Index of a reaction/section name (n bytes), or -1. */
int event_def_reaction(const struct event_def *ev, const char *s, size_t n);
int event_def_section(const struct event_def *ev, const char *s, size_t n);

#endif
