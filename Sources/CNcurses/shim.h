// ncursesw (Debian: libncursesw5-dev) plus accessors for what Swift cannot import:
// function-like macros (COLOR_PAIR, A_*) and C globals that Swift 6 rejects (stdscr, stdin, stdout, COLORS).
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>
static inline int     cn_color_pair(short n) { return (int)COLOR_PAIR(n); }
static inline WINDOW *cn_stdscr(void)       { return stdscr; }
static inline int     cn_attr_bold(void)    { return (int)A_BOLD; }
static inline int     cn_attr_reverse(void) { return (int)A_REVERSE; }
static inline int     cn_attr_dim(void)     { return (int)A_DIM; }
static inline void    cn_set_escdelay(int ms) { set_escdelay(ms); }
static inline int     cn_set_locale(void)   { return setlocale(LC_ALL, "") != NULL; }
/* Added for the explorer's driver (Sources/Explorer/NcursesTerminal.swift). */
#include <stdio.h>
static inline FILE   *cn_stdout(void)       { return stdout; }
static inline FILE   *cn_stdin(void)        { return stdin; }
static inline int     cn_colors(void)       { return COLORS; }
static inline WINDOW *cn_curscr(void)       { return curscr; }
static inline int     cn_unget_key(int c)   { return unget_wch((wchar_t)c); }
/* Reads one key or character; *code is 1 for a function key (KEY_*), 0 for a character.
   Returns ERR on timeout. */
static inline int     cn_get_key(int *value, int *code) {
  wint_t wch = 0;
  int rc = wget_wch(stdscr, &wch);
  if (rc == ERR) return ERR;
  *value = (int)wch;
  *code = (rc == KEY_CODE_YES);
  return OK;
}
