/* config_lex.h: a proxy's config cut into statements, the way that proxy reads it.
 *
 * The --proxy-config check matches the definition's patterns against statements, so a
 * statement must be what the proxy takes for one: nginx's runs to its ';' over lines (a path
 * on the next line is still its value), text in a string or a comment is none, the entries
 * of an nginx `map { }` are data, and a directive inside an apache <IfModule> or a squid
 * `if` block may not apply. The definition's `syntax` (struct proxy_syntax) says how its
 * language does each of these. */
#ifndef BADUP_CONFIG_LEX_H
#define BADUP_CONFIG_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "proxy.h"

struct stmt {
  int line;   /* where it starts */
  char *text; /* as written, on one line: blanks outside strings collapsed to one space */
  char *key;  /* what patterns are matched against: text, with its first word lowercased when
                 the syntax is caseless; as long as text, so a capture's place is the same */
  char *in;   /* the head of the innermost block around it, "" in the main context */
  int depth;  /* blocks around it (those around the include of its file too): 0 = main */
  bool head;  /* it opens a block */
  size_t *breaks; /* where its later lines start in text, when it spans lines */
  size_t nbreaks;
};

struct stmts {
  struct stmt *v;
  size_t n, cap;
};

/* Where a file's statements start: an included file goes on in its include's context. */
struct lex_from {
  int depth;
  const char *in;
};

/* Appends the statements of text to out. L has the string library open (the syntax's block
 * and data patterns are Lua patterns). from may be NULL: the main context. */
void lex_config(const struct proxy_syntax *sx, lua_State *L, const char *text, const struct lex_from *from,
                struct stmts *out);
void stmts_free(struct stmts *s);
/* The line of a statement's text at byte offset off (a value on its third line). */
int stmt_line_at(const struct stmt *s, size_t off);

/* Where the comments of a text are, as the proxy reads it: byte ranges [v[i][0], v[i][1]), in
 * the order of the text. */
struct lex_spans {
  size_t (*v)[2];
  size_t n, cap;
};
void lex_comments(const struct proxy_syntax *sx, const char *text, struct lex_spans *out);
bool lex_in_spans(const struct lex_spans *s, size_t off);
void lex_spans_free(struct lex_spans *s);

/* string.find(text, pattern, init) with the capture positions: returns -1 when the pattern
 * does not match (or is not one), else the number of captures (at most max are stored), with
 * the match in [*from, *to) and capture i in [cap[i][0], cap[i][1]), byte offsets into text.
 * init is a byte offset. A pattern without captures yields the whole match as capture 0 when
 * max > 0 (string.match's answer), and returns 0. */
int lex_find(lua_State *L, const char *text, const char *pattern, size_t init, size_t *from, size_t *to,
             size_t cap[][2], int max);
/* Does pattern match anywhere in text (anchored when it starts with '^')? */
bool lex_matches(lua_State *L, const char *text, const char *pattern);

#endif
