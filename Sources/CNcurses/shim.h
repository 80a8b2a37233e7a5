// ncursesw (Debian: libncursesw5-dev) plus accessors for what Swift cannot import:
// function-like macros (COLOR_PAIR, A_*) and C globals that Swift 6 rejects (stdscr, LINES, COLS).
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>
static inline int     cn_color_pair(short n) { return (int)COLOR_PAIR(n); }
static inline WINDOW *cn_stdscr(void)       { return stdscr; }
static inline int     cn_lines(void)        { return LINES; }
static inline int     cn_cols(void)         { return COLS; }
static inline int     cn_attr_bold(void)    { return (int)A_BOLD; }
static inline int     cn_attr_reverse(void) { return (int)A_REVERSE; }
static inline int     cn_attr_dim(void)     { return (int)A_DIM; }
static inline int     cn_attr_underline(void) { return (int)A_UNDERLINE; }
static inline void    cn_set_escdelay(int ms) { set_escdelay(ms); }
static inline int     cn_set_locale(void)   { return setlocale(LC_ALL, "") != NULL; }
