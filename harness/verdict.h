/* verdict.h: what a case's outcome means: pass, deviates, unstable, fail or error.
 *
 * A row (one proxy x one scenario) holds one run, or --repeat N of them. Its verdict:
 *   error     a run could not be made (setup_error), or the scenario itself raised a Lua
 *             error at run time: the scenario's fault, not the proxy's;
 *   unstable  the runs disagree, or the reference recorded several outcomes for this proxy
 *             version and this run gave one of them: the outcome depends on scheduling in
 *             the proxy, so it is reported with every outcome seen and never as a failure;
 *   pass      the outcome is the scenario's `expect`, and its checks hold (time window,
 *             upstream attempts, the proxy's log line);
 *   deviates  another outcome, the one the reference recorded for this proxy version;
 *   fail      anything else, with the reason.
 * judge() reads the reference but never changes it: worker threads call it concurrently. */
#ifndef BADUP_VERDICT_H
#define BADUP_VERDICT_H

#include <jansson.h>

#include "results.h"

/* Sets r->verdict, r->reason, r->outcomes, r->reference and r->reference_version from the
 * row's runs and the proxy's reference (may be NULL). */
void verdict_judge(struct row *r, json_t *ref);

/* Is this verdict a reason for a non-zero exit? (fail: 1; error: 2) */
bool verdict_is_failure(const char *verdict);

#endif
