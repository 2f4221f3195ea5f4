/*
 * The progress line of the commands that run long (sim, gc, migrate,
 * calibrate, trace): one line on stderr, rewritten in place ("\r", the
 * text, "\033[K" to erase what a longer line left), shown only where
 * stderr is a terminal and --quiet was not given, and erased before
 * anything else is printed (a result, an error).
 *
 *   bool on = cli_progress_wanted(quiet);
 *   if (on) cfg.progress = cli_progress_machine;
 *   rc = run(&cfg);
 *   if (on) cli_progress_clear();
 *
 * The functions keep no state and only write to stderr, so a library
 * callback may call them from any thread (calibrate's fit calls its
 * callback from several, one at a time under its lock).
 */
#ifndef XLAT_CLI_PROGRESS_H
#define XLAT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Whether to show a progress line: no --quiet, and stderr is a terminal
 * (a log or a pipe gets none). */
bool cli_progress_wanted(bool quiet);

/* Replaces the line with the formatted text, cut one column short of the
 * terminal's width (a line that wrapped could not be rewritten). */
void cli_progress_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bar, "  [#######             ]  35%  step": done of total (total 0:
 * nothing shown); step may be NULL. */
void cli_progress_bar(uint64_t done, uint64_t total, const char *step);

/* A machine_progress_fn (xlat/machine.h) drawing the bar; ctx unused. */
void cli_progress_machine(void *ctx, uint64_t done, uint64_t total);

/* Erases the line (nothing visible where none was drawn). */
void cli_progress_clear(void);

#endif
