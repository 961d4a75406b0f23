/* tls_vocabulary.h: the Lua side of TLS: a scenario's `tls` table and the tls_alert() step.
 *
 *   tls = {
 *     cert        = "valid" | "expired" | "wrong_name" | "untrusted",  -- default "valid"
 *     min_version = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3",       -- default: OpenSSL's
 *     max_version = ...,                                               -- (TLSv1.2 .. TLSv1.3)
 *     alpn        = { "http/1.1", ... },  -- the server picks the first the client offers
 *                                         -- (RFC 7301); none offered in common: no ALPN answer
 *     sni         = "localhost",          -- the client must send this server name (RFC 6066
 *                                         -- 3), else a fatal unrecognized_name alert
 *     handshake   = { step, ... },        -- run on the raw TCP connection once the
 *                                         -- ClientHello has come, instead of the handshake
 *   }
 *
 * The handshake steps: send, txresp, dribble, stall, stopread, barrier, reach, tls_alert,
 * and an ending: close() (a FIN: no session, so no close_notify), reset() (an RST),
 * halfclose(), or a stall() without a duration (no answer, ever). */
#ifndef BADUP_TLS_VOCABULARY_H
#define BADUP_TLS_VOCABULARY_H

#include <stdbool.h>

#include <lua.h>

#include "buf.h"
#include "scenario.h"

/* tls_alert(name [, level]): a TLS alert record (RFC 8446 6), in plaintext: the server has
 * sent nothing yet, so no key protects it. name: the RFC's description ("handshake_failure",
 * "protocol_version", "unrecognized_name", ...); level "fatal" (default) or "warning". Only
 * in tls.handshake. */
int ctor_tls_alert(lua_State *L);

/* Checks the tls table at idx, as scenario{} does for every field. Raises. */
void tls_table_check(lua_State *L, int idx);

/* Does the scenario table at idx have tls.handshake steps? (Then its plan may be left out.) */
bool tls_has_handshake(lua_State *L, int idx);

/* The checked tls table at idx, compiled; NULL with *err ("path:line: ...") when out of
 * memory or when its handshake steps do not compile. */
struct scenario_tls *scenario_tls_from_lua(lua_State *L, int idx, const char *path, struct buf *err);

void scenario_tls_free(struct scenario_tls *t);

/* "TLSv1.2" for TLS1_2_VERSION, ...; "?" for another number. */
const char *tls_version_name(int version);

#endif
