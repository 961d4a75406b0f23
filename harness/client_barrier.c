/* client_barrier.c: the client's side of the simulator's barriers. */
#include "client_barrier.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simctl.h"

/* The simulator's control API (simctl.h): the same bounded call the case uses. */
static char *call(const char *admin, const char *method, const char *path) { return simctl_call(admin, method, path); }

int client_barrier_reach(const char *admin, const char *name) {
  char path[96];
  snprintf(path, sizeof path, "/barriers/%.40s", name);
  char *doc = call(admin, "POST", path);
  free(doc);
  return doc ? 0 : -1;
}

int client_barrier_reached(const char *admin, const char *name) {
  char *doc = call(admin, "GET", "/barriers");
  if (!doc) return -1;
  json_t *root = json_loads(doc, 0, NULL);
  free(doc);
  int reached = 0;
  json_t *list = json_object_get(root, "barriers"), *b;
  size_t i;
  json_array_foreach(list, i, b) {
    const char *n = json_string_value(json_object_get(b, "name"));
    if (n && !strcmp(n, name) && json_is_true(json_object_get(b, "reached"))) reached = 1;
  }
  json_decref(root);
  return reached;
}

int client_barriers_reset(const char *admin) {
  char *doc = call(admin, "DELETE", "/barriers");
  free(doc);
  return doc ? 0 : -1;
}
