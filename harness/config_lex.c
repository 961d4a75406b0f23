/* config_lex.c: a proxy's config cut into statements (see config_lex.h).
 *
 * One pass over the text, character by character, with what the syntax says: where a
 * statement ends (its line, its ';', the next `name =`, a YAML line and its continuation),
 * which characters open strings (at a word's start only, or anywhere), whether those span
 * lines, where '\' escapes, what a comment is, whether a '\' at a line's end continues it, and
 * how blocks open and close. A block's head is a statement too (caddy's `reverse_proxy
 * 10.0.0.5:8080 {` names a target); the statements of a data block (nginx's map, types, ...)
 * are left out: they are keys and values, never directives. Where the reading and the proxy's could differ, it errs towards seeing more
 * statements than the proxy does: a refusing rule then refuses more, never less. */
#include "config_lex.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "buf.h"

#define MAX_DEPTH 64

/* ---- Lua patterns with the places of their captures ---------------------------------------- */

/* The pattern with every capture "(...)" turned into "()(...)()", so string.find returns where
 * each one starts and ends; kinds[i] says whether capture i was a position capture "()". The
 * pattern was checked when the definition loaded (proxy.c's pattern_captures walks it the same
 * way); a malformed one still only makes string.find fail. */
static char *with_positions(const char *p, char *kinds, int max, int *n) {
  struct buf b = {0};
  *n = 0;
  if (*p == '^') buf_append(&b, p++, 1);
  while (*p) {
    if (*p == '(') {
      if (p[1] == ')') {
        if (*n < max) kinds[(*n)++] = 'p';
        buf_append(&b, "()", 2);
        p += 2;
      } else {
        if (*n < max) kinds[(*n)++] = 's';
        buf_append(&b, "()(", 3);
        p++;
      }
    } else if (*p == ')') {
      buf_append(&b, ")()", 3);
      p++;
    } else if (*p == '%' && p[1]) {
      if (p[1] == 'b' && p[2] && p[3]) {
        buf_append(&b, p, 4);
        p += 4;
      } else if (p[1] == 'f' && p[2] == '[') {
        buf_append(&b, p, 2);
        p += 2;
        goto set;
      } else {
        buf_append(&b, p, 2);
        p += 2;
      }
    } else if (*p == '[') {
    set:
      buf_append(&b, p++, 1);
      if (*p == '^') buf_append(&b, p++, 1);
      do { /* the first character of a set is literal, even ']' */
        if (!*p) break;
        if (*p == '%' && p[1]) buf_append(&b, p++, 1);
        buf_append(&b, p++, 1);
      } while (*p && *p != ']');
      if (*p) buf_append(&b, p++, 1);
    } else {
      buf_append(&b, p++, 1);
    }
  }
  buf_append(&b, "", 1);
  if (b.oom) {
    buf_free(&b);
    return NULL;
  }
  return b.data;
}

static int do_find(lua_State *L) {
  lua_getglobal(L, "string");
  lua_getfield(L, -1, "find");
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_call(L, 3, LUA_MULTRET);
  return lua_gettop(L) - 4;
}

int lex_find(lua_State *L, const char *text, const char *pattern, size_t init, size_t *from, size_t *to,
             size_t cap[][2], int max) {
  char kinds[32];
  int n = 0, got = -1;
  if (!L) return -1; /* reading comments only (lex_comments): no pattern is asked */
  char *pat = with_positions(pattern, kinds, 32, &n);
  if (!pat) return -1;
  int top = lua_gettop(L);
  lua_pushcfunction(L, do_find);
  lua_pushstring(L, text);
  lua_pushstring(L, pat);
  lua_pushinteger(L, (lua_Integer)init + 1);
  if (lua_pcall(L, 3, LUA_MULTRET, 0) == LUA_OK && lua_gettop(L) > top && lua_isinteger(L, top + 1)) {
    size_t s = (size_t)lua_tointeger(L, top + 1), e = (size_t)lua_tointeger(L, top + 2);
    *from = s - 1, *to = e;
    int at = top + 3;
    for (int i = 0; i < n; i++) {
      size_t a = (size_t)lua_tointeger(L, at) - 1, z = a;
      if (kinds[i] == 's') {
        z = (size_t)lua_tointeger(L, at + 2) - 1;
        at += 3;
      } else {
        at += 1;
      }
      if (i < max) cap[i][0] = a, cap[i][1] = z;
    }
    if (n == 0 && max > 0) cap[0][0] = *from, cap[0][1] = *to;
    got = n;
  }
  lua_settop(L, top);
  free(pat);
  return got;
}

bool lex_matches(lua_State *L, const char *text, const char *pattern) {
  size_t from, to, cap[1][2];
  return lex_find(L, text, pattern, 0, &from, &to, cap, 0) >= 0;
}

/* ---- the reader ------------------------------------------------------------------------------ */

struct frame {
  char *head;
  bool data;
};

struct lexer {
  const struct proxy_syntax *sx;
  lua_State *L;
  struct stmts *out;
  const char *base;            /* the text being read */
  struct lex_spans *comments;  /* where its comments are, or NULL: not asked */
  const struct lex_from *from;
  struct buf cur; /* the statement being read */
  int cur_line;   /* where it started; 0: nothing in it yet */
  size_t *breaks; /* where its later lines start in cur */
  size_t nbreaks, capbreaks;
  int line;       /* the line being read */
  bool quoted;    /* cur ends inside a string (its blanks are kept as they are) */
  struct frame stack[MAX_DEPTH];
  int sp, deeper; /* blocks open; those beyond MAX_DEPTH are only counted */
};

static void comment_at(struct lexer *lx, const char *from, const char *to) {
  struct lex_spans *c = lx->comments;
  if (!c || to <= from) return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    size_t(*v)[2] = realloc(c->v, cap * sizeof *v);
    if (!v) return; /* a comment less known: its ${name} is judged like the rest */
    c->v = v, c->cap = cap;
  }
  c->v[c->n][0] = (size_t)(from - lx->base), c->v[c->n][1] = (size_t)(to - lx->base);
  c->n++;
}

static void put(struct lexer *lx, char ch) {
  if (ch == '\n' || ch == '\r' || ch == '\t' || ch == '\v' || ch == '\f') ch = ' ';
  if (ch == ' ' && !lx->quoted && (lx->cur.len == 0 || lx->cur.data[lx->cur.len - 1] == ' ')) return;
  if (ch != ' ' && !lx->cur_line) lx->cur_line = lx->line;
  buf_append(&lx->cur, &ch, 1);
}

static void puts_n(struct lexer *lx, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) put(lx, s[i]);
}

static bool cur_empty(const struct lexer *lx) { return lx->cur_line == 0; }

/* The text goes on to the next line: within a statement, where its next line starts. */
static void next_line(struct lexer *lx) {
  lx->line++;
  if (cur_empty(lx)) return;
  if (lx->nbreaks == lx->capbreaks) {
    size_t cap = lx->capbreaks ? 2 * lx->capbreaks : 8;
    size_t *v = realloc(lx->breaks, cap * sizeof *v);
    if (!v) return; /* its lines after this one are told as this one */
    lx->breaks = v, lx->capbreaks = cap;
  }
  lx->breaks[lx->nbreaks++] = lx->cur.len;
}

static void stmt_add(struct lexer *lx, const char *text, bool head) {
  struct stmts *s = lx->out;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    struct stmt *v = realloc(s->v, cap * sizeof *v);
    if (!v) return; /* a statement less to check; the proxy's checker still sees the file */
    s->v = v, s->cap = cap;
  }
  struct stmt *st = &s->v[s->n];
  const char *in = lx->sp > 0 ? lx->stack[lx->sp - 1].head : lx->from ? lx->from->in : "";
  st->text = strdup(text);
  st->key = strdup(text);
  st->in = strdup(in ? in : "");
  if (!st->text || !st->key || !st->in) {
    free(st->text), free(st->key), free(st->in);
    return;
  }
  if (lx->sx->caseless) /* directive names: the first word (apache's <Proxy too) */
    for (char *k = st->key; *k && !isspace((unsigned char)*k); k++) *k = (char)tolower((unsigned char)*k);
  st->line = lx->cur_line ? lx->cur_line : lx->line;
  st->breaks = NULL;
  st->nbreaks = 0;
  if (lx->nbreaks && (st->breaks = malloc(lx->nbreaks * sizeof *st->breaks))) {
    memcpy(st->breaks, lx->breaks, lx->nbreaks * sizeof *st->breaks);
    st->nbreaks = lx->nbreaks;
  }
  st->depth = (lx->from ? lx->from->depth : 0) + lx->sp + lx->deeper;
  st->head = head;
  s->n++;
}

static bool in_data(const struct lexer *lx) { return lx->sp > 0 && lx->stack[lx->sp - 1].data; }

static void push(struct lexer *lx, const char *head) {
  bool data = in_data(lx);
  for (char **d = lx->sx->data; d && *d && !data; d++) data = lex_matches(lx->L, head, *d);
  if (lx->sp == MAX_DEPTH || lx->deeper) {
    lx->deeper++;
    return;
  }
  char *copy = strdup(head);
  lx->stack[lx->sp].head = copy ? copy : strdup("");
  lx->stack[lx->sp++].data = data;
}

static void pop(struct lexer *lx) {
  if (lx->deeper) lx->deeper--;
  else if (lx->sp > 0) free(lx->stack[--lx->sp].head);
}

/* Ends the statement being read; `head`: it opens a block. */
static void emit(struct lexer *lx, bool head) {
  buf_append(&lx->cur, "", 1);
  char *text = lx->cur.data ? lx->cur.data : "";
  size_t n = strlen(text);
  while (n && text[n - 1] == ' ') text[--n] = 0;
  if (n || head) {
    const struct proxy_syntax *sx = lx->sx;
    bool opens = head, closes = false;
    if (!head && sx->open) { /* apache's <Section> ... </Section>, squid's if ... endif */
      char *key = strdup(text);
      if (key && sx->caseless)
        for (char *k = key; *k && !isspace((unsigned char)*k); k++) *k = (char)tolower((unsigned char)*k);
      closes = key && lex_matches(lx->L, key, sx->close);
      opens = !closes && key && lex_matches(lx->L, key, sx->open);
      free(key);
    }
    if (closes) pop(lx);
    else {
      if (!in_data(lx)) stmt_add(lx, text, opens);
      if (opens) push(lx, text);
    }
  }
  lx->cur.len = 0;
  lx->cur_line = 0;
  lx->nbreaks = 0;
  lx->quoted = false;
}

/* Does a string open at p, and of which kind: the quote character, or a VCL long string ('L':
 * {"..."}, 'T': """..."""), which spans lines and takes no escapes. *open: its opening's length. */
static bool quote_opens(const struct proxy_syntax *sx, const char *p, char *kind, size_t *open) {
  bool vcl = strchr(sx->quotes, '{') != NULL;
  if (vcl && ((p[0] == '{' && p[1] == '"') || (p[0] == '"' && p[1] == '"' && p[2] == '"'))) {
    *open = p[0] == '{' ? 2 : 3;
    return *kind = p[0] == '{' ? 'L' : 'T', true;
  }
  if (*p && *p != '{' && strchr(sx->quotes, *p)) return *open = 1, *kind = *p, true;
  return false;
}

/* The length of the delimiter that closes a string of this kind at p, or 0. */
static size_t quote_closes(char kind, const char *p) {
  if (kind == 'L') return p[0] == '"' && p[1] == '}' ? 2 : 0;
  if (kind == 'T') return p[0] == '"' && p[1] == '"' && p[2] == '"' ? 3 : 0;
  return *p == kind ? 1 : 0;
}

/* lighttpd: does a new statement start at p? `name =` (or +=, :=, ?=; not ==, =~, =>), a
 * `$HTTP[...]`-style condition, `else`, `include` and `include_shell`. */
static bool starts_assignment(const char *p) {
  if (*p == '$' && isalpha((unsigned char)p[1])) return true;
  if (!isalpha((unsigned char)*p) && *p != '_') return false;
  size_t n = 0;
  while (isalnum((unsigned char)p[n]) || (p[n] && strchr("_.-", p[n]))) n++;
  if (n == 4 && strncmp(p, "else", 4) == 0) return true;
  if ((n == 7 && strncmp(p, "include", 7) == 0) || (n == 13 && strncmp(p, "include_shell", 13) == 0))
    return isspace((unsigned char)p[n]) || p[n] == '"';
  const char *q = p + n;
  while (isspace((unsigned char)*q)) q++;
  if (q[0] == '=') return q[1] != '=' && q[1] != '~' && q[1] != '>';
  return (q[0] == '+' || q[0] == ':' || q[0] == '?') && q[1] == '=';
}

static const char *skip_to_eol(const char *p) {
  while (*p && *p != '\n') p++;
  return p;
}

static void lex_stream(struct lexer *lx, const char *p) {
  const struct proxy_syntax *sx = lx->sx;
  char quote = 0, prev = '\n';
  bool line_blank = true; /* only blanks so far on this line */
  bool word_start = true; /* the next character starts a word: after a blank, a ';' or a brace */
  int parens = 0;
  while (*p) {
    char ch = *p;
    if (sx->continued && ch == '\\' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n'))) {
      p += p[1] == '\n' ? 2 : 3; /* the next line goes on with this statement, and its string */
      next_line(lx);
      if (!quote) {
        put(lx, ' ');
        prev = ' ';
        word_start = true;
      }
      continue;
    }
    if (quote) {
      if (ch == '\n' && !(sx->multiline || quote == 'L' || quote == 'T')) {
        quote = 0; /* the string ends with its line; the newline is read below */
        lx->quoted = false;
      } else {
        if (ch == '\n') next_line(lx), line_blank = true;
        if (ch == '\\' && strchr(sx->escapes, quote) && p[1] && p[1] != '\n') {
          put(lx, ch), put(lx, p[1]);
          p += 2;
          continue;
        }
        size_t closes = quote_closes(quote, p);
        puts_n(lx, p, closes ? closes : 1);
        p += closes ? closes : 1;
        if (closes) {
          quote = 0;
          lx->quoted = false;
          prev = '"';
          word_start = false;
        }
        continue;
      }
    }
    if (ch == '\n') {
      p++;
      if (sx->ends == ENDS_LINE && parens == 0) emit(lx, false);
      else put(lx, ' ');
      next_line(lx);
      line_blank = true;
      prev = '\n';
      word_start = true;
      continue;
    }
    /* nginx's \" and \; are characters of a word, haproxy's \# and \  too */
    if (sx->word_escapes && ch == '\\' && p[1] && p[1] != '\n' && p[1] != '\r') {
      size_t n = p[1] == '$' ? 1 : 2; /* a template variable after it is still one */
      puts_n(lx, p, n);
      p += n;
      prev = 'a'; /* as after a word's character */
      word_start = line_blank = false;
      continue;
    }
    bool token_start = isspace((unsigned char)prev) || strchr(";{}", prev);
    bool comment = ((sx->comments & COMMENT_HASH_LINE) && line_blank && cur_empty(lx)) ||
                   ((sx->comments & COMMENT_HASH_ANY) && prev != '\\') ||
                   ((sx->comments & COMMENT_HASH) && word_start);
    if ((ch == '#' && comment) || (ch == '/' && p[1] == '/' && (sx->comments & COMMENT_SLASHES))) {
      const char *eol = skip_to_eol(p);
      comment_at(lx, p, eol);
      p = eol;
      continue;
    }
    if (ch == '/' && p[1] == '*' && (sx->comments & COMMENT_BLOCK)) {
      const char *end = strstr(p + 2, "*/");
      const char *stop = end ? end + 2 : p + strlen(p);
      comment_at(lx, p, stop);
      for (; p < stop; p++)
        if (*p == '\n') next_line(lx);
      put(lx, ' ');
      prev = ' ';
      word_start = true;
      continue;
    }
    if (!isspace((unsigned char)ch)) line_blank = false;
    /* a template variable, ${name} or $${: never a brace of a block, never a quote */
    if (ch == '$' && (p[1] == '{' || (p[1] == '$' && p[2] == '{'))) {
      const char *close = p + (p[1] == '{' ? 2 : 3);
      while (*close && *close != '}' && *close != '\n') close++;
      if (*close == '}') {
        puts_n(lx, p, (size_t)(close + 1 - p));
        p = close + 1;
        prev = 'x';
        word_start = false;
        continue;
      }
    }
    /* a quote in the middle of a word is a character of it where the proxy says so (nginx's
     * a"b, apache's it's) */
    char kind;
    size_t open;
    if ((sx->quote_anywhere || word_start) && quote_opens(sx, p, &kind, &open)) {
      quote = kind;
      lx->quoted = true;
      puts_n(lx, p, open);
      p += open;
      continue;
    }
    if (sx->ends == ENDS_ASSIGNMENT) {
      if (ch == '(') parens++;
      else if (ch == ')' && parens > 0) parens--;
      else if (parens == 0 && !cur_empty(lx) && (token_start || prev == ')' || prev == '"') && starts_assignment(p))
        emit(lx, false);
    }
    if (sx->braces && (ch == '{' || ch == '}') &&
        (!sx->brace_tokens || ((isspace((unsigned char)prev) || prev == '{' || prev == '}') &&
                               (!p[1] || isspace((unsigned char)p[1]))))) {
      if (ch == '{') {
        emit(lx, true);
      } else {
        emit(lx, false);
        pop(lx);
      }
      prev = ch;
      word_start = true;
      p++;
      continue;
    }
    if (ch == ';' && sx->ends == ENDS_SEMICOLON) {
      emit(lx, false);
      prev = ch;
      word_start = true;
      p++;
      continue;
    }
    put(lx, ch);
    prev = ch;
    word_start = isspace((unsigned char)ch) != 0;
    p++;
  }
  emit(lx, false);
}

/* ---- YAML (h2o): a line, with its continuation lines ------------------------------------- */

/* Does a scalar start at l[i] (so a quote there opens a quoted one, a '[' or '{' a flow
 * collection)? At the line's start, after `key: `, `- ` or `? `, or in a flow collection after
 * its '[', '{' or ','. Elsewhere a quote is text of a plain scalar: `note: it's`. */
static bool yaml_scalar_starts(const char *l, size_t i, int flow) {
  size_t k = i;
  while (k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t')) k--;
  if (k == 0) return true;
  char b = l[k - 1];
  return (flow > 0 && strchr("[{,", b)) || (k < i && strchr(":-?", b));
}

/* Where the quote state stands after the line [l, l+n): *quote is 0, '"' or '\''. Returns the
 * length of the line without its comment ('#' after a blank, outside quotes). */
static size_t yaml_scan(const char *l, size_t n, char *quote) {
  int flow = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = l[i];
    if (*quote == '"') {
      if (ch == '\\' && i + 1 < n) i++;
      else if (ch == '"') *quote = 0;
    } else if (*quote == '\'') {
      if (ch == '\'' && i + 1 < n && l[i + 1] == '\'') i++;
      else if (ch == '\'') *quote = 0;
    } else if ((ch == '"' || ch == '\'') && yaml_scalar_starts(l, i, flow)) {
      *quote = ch;
    } else if ((ch == '[' || ch == '{') && yaml_scalar_starts(l, i, flow)) {
      flow++;
    } else if ((ch == ']' || ch == '}') && flow > 0) {
      flow--;
    } else if (ch == '#' && (i == 0 || isspace((unsigned char)l[i - 1]))) {
      return i;
    }
  }
  return n;
}

/* A mapping key ("key:" then a blank or the end) or a sequence item, outside quotes. */
static bool yaml_new_entry(const char *s) {
  if (s[0] == '-' && (!s[1] || isspace((unsigned char)s[1]))) return true;
  if (s[0] == '?' && (!s[1] || isspace((unsigned char)s[1]))) return true;
  char quote = 0;
  for (const char *c = s; *c; c++) {
    if (quote) {
      if (*c == quote) quote = 0;
    } else if ((*c == '"' || *c == '\'') && yaml_scalar_starts(s, (size_t)(c - s), 0)) {
      quote = *c;
    } else if (*c == ':' && (!c[1] || isspace((unsigned char)c[1]))) {
      return true;
    }
  }
  return false;
}

/* Strips a block scalar's indicator (`key: |`, `key: >-`, `- |2`); true when there was one. */
static bool yaml_block_header(char *s) {
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  size_t t = n;
  while (t && !isspace((unsigned char)s[t - 1])) t--;
  if (t == n || (s[t] != '|' && s[t] != '>')) return false;
  for (size_t i = t + 1; i < n; i++)
    if (!strchr("+-0123456789", s[i])) return false;
  if (t > 0 && !(t >= 2 && (s[t - 2] == ':' || s[t - 2] == '-'))) return false;
  s[t] = 0;
  return true;
}

/* One logical line: its sequence dashes dropped, cut at flow collections' { } [ ] and the
 * commas inside them: `{ proxy.reverse.url: x, y: z }` is two statements. From `literal` on
 * (a block scalar's text, or SIZE_MAX) it is text, never cut. */
static void yaml_emit(struct lexer *lx, char *s, int line, size_t literal) {
  char *start = s;
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (s[0] == '-' && (!s[1] || isspace((unsigned char)s[1]))) s++;
    else break;
  }
  lx->line = line;
  char quote = 0;
  int flow = 0;
  for (char *c = s; *c; c++) {
    if ((size_t)(c - start) >= literal) {
      put(lx, *c);
    } else if (quote) {
      if (*c == quote) quote = 0;
      put(lx, *c);
    } else if (*c == '$' && c[1] == '{' && strchr(c, '}')) { /* a template variable */
      char *close = strchr(c, '}');
      puts_n(lx, c, (size_t)(close + 1 - c));
      c = close;
    } else if ((*c == '"' || *c == '\'') && yaml_scalar_starts(s, (size_t)(c - s), flow)) {
      quote = *c;
      put(lx, *c);
    } else if ((*c == '{' || *c == '[') && yaml_scalar_starts(s, (size_t)(c - s), flow)) {
      flow++;
      emit(lx, false);
    } else if ((*c == '}' || *c == ']') && flow > 0) {
      flow--;
      emit(lx, false);
    } else if (*c == ',' && flow > 0) {
      emit(lx, false);
    } else {
      put(lx, *c);
    }
  }
  emit(lx, false);
}

static void lex_yaml(struct lexer *lx, const char *text) {
  struct buf logical = {0};
  int lline = 0, lindent = 0, block_indent = -1, num = 0;
  size_t literal = SIZE_MAX; /* where the logical line's block scalar text starts */
  char quote = 0;
  for (const char *l = text; *l; num++) {
    const char *eol = strchr(l, '\n');
    size_t n = eol ? (size_t)(eol - l) : strlen(l);
    const char *next = eol ? eol + 1 : l + n;
    size_t ind = 0;
    while (ind < n && l[ind] == ' ') ind++;
    bool blank = true;
    for (size_t i = ind; i < n && blank; i++) blank = isspace((unsigned char)l[i]) != 0;
    if (block_indent >= 0) { /* a block scalar's lines are its text */
      if (blank) {
        l = next;
        continue;
      }
      if ((int)ind > block_indent) {
        buf_puts(&logical, " ");
        buf_append(&logical, l + ind, n - ind);
        l = next;
        continue;
      }
      block_indent = -1;
    }
    if (quote) { /* a quoted scalar over lines */
      size_t keep = yaml_scan(l, n, &quote);
      comment_at(lx, l + keep, l + n);
      buf_puts(&logical, " ");
      buf_append(&logical, l + ind, keep > ind ? keep - ind : 0);
      l = next;
      continue;
    }
    char q = 0;
    size_t keep = yaml_scan(l + ind, n - ind, &q) + ind;
    comment_at(lx, l + keep, l + n);
    while (keep > ind && isspace((unsigned char)l[keep - 1])) keep--;
    if (keep > ind) {
      char *body = strndup(l + ind, keep - ind);
      if (!body) break;
      if (lline && (int)ind > lindent && !yaml_new_entry(body)) { /* a plain scalar over lines */
        buf_puts(&logical, " ");
        buf_puts(&logical, body);
      } else {
        if (lline) {
          buf_append(&logical, "", 1);
          if (!logical.oom) yaml_emit(lx, logical.data, lline, literal);
        }
        logical.len = 0;
        literal = SIZE_MAX;
        buf_puts(&logical, body);
        lline = num + 1, lindent = (int)ind;
      }
      free(body);
      quote = q;
      buf_append(&logical, "", 1);
      logical.len--;
      if (!quote && !logical.oom && yaml_block_header(logical.data)) {
        logical.len = strlen(logical.data);
        literal = logical.len;
        block_indent = (int)ind;
      }
    }
    l = next;
  }
  if (lline) {
    buf_append(&logical, "", 1);
    if (!logical.oom) yaml_emit(lx, logical.data, lline, literal);
  }
  buf_free(&logical);
}

void lex_config(const struct proxy_syntax *sx, lua_State *L, const char *text, const struct lex_from *from,
                struct stmts *out) {
  struct lexer lx = {.sx = sx, .L = L, .out = out, .base = text, .from = from, .line = 1};
  if (sx->ends == ENDS_YAML) lex_yaml(&lx, text);
  else lex_stream(&lx, text);
  while (lx.sp > 0 || lx.deeper) pop(&lx); /* blocks a file leaves open end with it */
  buf_free(&lx.cur);
  free(lx.breaks);
}

int stmt_line_at(const struct stmt *s, size_t off) {
  int line = s->line;
  for (size_t i = 0; i < s->nbreaks && s->breaks[i] <= off; i++) line++;
  return line;
}

void lex_comments(const struct proxy_syntax *sx, const char *text, struct lex_spans *out) {
  struct stmts unused = {0};
  struct lexer lx = {.sx = sx, .out = &unused, .base = text, .comments = out, .line = 1};
  if (sx->ends == ENDS_YAML) lex_yaml(&lx, text);
  else lex_stream(&lx, text);
  while (lx.sp > 0 || lx.deeper) pop(&lx);
  buf_free(&lx.cur);
  free(lx.breaks);
  stmts_free(&unused);
}

bool lex_in_spans(const struct lex_spans *s, size_t off) {
  for (size_t i = 0; i < s->n; i++)
    if (off >= s->v[i][0] && off < s->v[i][1]) return true;
  return false;
}

void lex_spans_free(struct lex_spans *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

void stmts_free(struct stmts *s) {
  for (size_t i = 0; i < s->n; i++) free(s->v[i].text), free(s->v[i].key), free(s->v[i].in), free(s->v[i].breaks);
  free(s->v);
  memset(s, 0, sizeof *s);
}
