/* page_assets.h: the style and script of index.html. They live as report/page.css and
 * report/page.js, where they can be read and edited as what they are; the build turns each
 * into a C string (report/embed.cmake), NUL-terminated, so badup carries them and the page
 * needs no file beside it. */
#ifndef BADUP_PAGE_ASSETS_H
#define BADUP_PAGE_ASSETS_H

extern const char badup_page_css[];
extern const char badup_page_js[];

#endif
