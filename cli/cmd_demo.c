/* Placeholder until this subcommand lands (replaced in this work). */
#include "commands.h"

int cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(1, "demo", "not built yet");
}
