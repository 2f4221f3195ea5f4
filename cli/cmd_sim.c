/* Placeholder until this subcommand lands (replaced in this work). */
#include "commands.h"

int cmd_sim(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(1, "sim", "not built yet");
}
