/* net.h -- the network edge: one libevent base, the libwebsockets context
 * running on it (WebSocket /ws, subprotocol chorus.v1, and the web pages
 * over HTTP), the hub's timers and signal handling. The only module that
 * includes <libwebsockets.h> or creates libevent events. */
#ifndef CHORUS_NET_H
#define CHORUS_NET_H

#include <stddef.h>

struct hub;
struct net;

/* Create the loop and the listening context for h (h->o.port, bind,
 * web_root). Returns NULL with a one-line reason in err. */
struct net *net_new(struct hub *h, char *err, size_t errlen);
/* Run until SIGINT/SIGTERM has closed every connection (or 3 s passed). */
int net_run(struct net *n);
void net_free(struct net *n);

/* Ask for a WRITEABLE callback on the connection. */
void net_want_write(struct net *n, void *wsi);
/* Drop the connection now, without a close handshake. */
void net_kill(struct net *n, void *wsi);
/* Wake the loop from another thread to collect store results. */
void net_store_notify(void *n);
/* Wake the loop from the report thread (arg is the hub). */
void net_api_notify(void *hub);

#endif
