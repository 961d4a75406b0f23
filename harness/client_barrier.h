/* client_barrier.h: the client's side of the simulator's barriers, over its control API
 * (docs/serve.md): POST /barriers/NAME reaches one, GET /barriers says which are reached,
 * DELETE /barriers forgets them all.
 * `admin` is "HOST:PORT". Every call is bounded (3 s). */
#ifndef BADUP_CLIENT_BARRIER_H
#define BADUP_CLIENT_BARRIER_H

/* Reaches barrier name. 0, or -1 when the control API did not answer 200. */
int client_barrier_reach(const char *admin, const char *name);

/* Is barrier name reached? 1 yes, 0 no (or never heard of), -1 the API did not answer. */
int client_barrier_reached(const char *admin, const char *name);

/* Forgets every reached barrier (DELETE /barriers): what an earlier request reached is not
 * the next one's. 0, or -1 when the control API did not answer 200. */
int client_barriers_reset(const char *admin);

#endif
