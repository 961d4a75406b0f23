/* page_evidence.h: what index.html embeds of a case's folder (cases/PROXY/SCENARIO/), read
 * when the page is written, so the page needs no file beside it: the upstream's events
 * (upstream-events.json, as text lines) and the proxy's rendered config, each bounded in
 * size with a note when cut.
 *
 * Configs of one proxy differ from case to case by little more than the ports, so their
 * lines are stored once in a shared table (`lines`) and each config is a list of indexes
 * into it: 12 proxies x 120 scenarios of configs cost about as much as 12 of them. */
#ifndef BADUP_PAGE_EVIDENCE_H
#define BADUP_PAGE_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>

/* Per case, at most this many bytes of event text and of each config; at most this many
 * config files (a proxy may render several: a config and a file it includes). */
#define PAGE_EVENTS_MAX 6000
#define PAGE_CONFIG_MAX 16000
#define PAGE_CONFIGS_MAX 4

struct page_lines {
  json_t *table; /* array of strings: every distinct config line once */
  json_t *index; /* object: line -> its position in table */
};

void page_lines_init(struct page_lines *pl);
void page_lines_free(struct page_lines *pl);

/* The evidence of the case whose folder is case_dir (which need not exist: a skipped case
 * has none): an object {events?, events_note?, configs?: [{name, lines: [index...], note?}],
 * folder}. rel is case_dir relative to the results folder, for the notes and the page.
 * Never NULL unless memory runs out. */
json_t *page_case_evidence(const char *case_dir, const char *rel, const char *proxy, struct page_lines *pl);

#endif
