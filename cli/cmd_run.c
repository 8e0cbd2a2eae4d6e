/* SPDX-License-Identifier: MIT */
/* cmd_run.c - placeholder until the command lands. */
#include "cli/commands.h"
#include "cli/exitcodes.h"
int fz_cmd_bind(int argc, char **argv)
{
    (void)argc;
    fz_cli_error("'%s' is not available in this build yet", argv[0]);
    return FZ_EXIT_SOFTWARE;
}
int fz_cmd_run(int argc, char **argv)
{
    (void)argc;
    fz_cli_error("'%s' is not available in this build yet", argv[0]);
    return FZ_EXIT_SOFTWARE;
}
