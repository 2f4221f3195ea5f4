/* The subcommands of `xlat`, one file each (cli/cmd_<name>.c). Each returns
 * the process exit status: 0 success, 1 failure, 2 bad usage. */
#ifndef XLAT_CLI_COMMANDS_H
#define XLAT_CLI_COMMANDS_H

int cmd_calibrate(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_ptsize(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_walk(int argc, char **argv);

/* Prints "xlat <cmd>: <message>" on stderr; returns `status` so commands can
 * `return cli_fail(2, ...)`. */
int cli_fail(int status, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
