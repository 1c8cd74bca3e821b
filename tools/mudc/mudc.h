/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudc subcommands. Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: MUDC_OK, MUDC_INVALID (the input is
 * invalid: a MUD file, a site file, an image or a pcap), MUDC_USAGE (bad command line).
 */
#ifndef MUDC_H
#define MUDC_H

#define MUDC_OK      0
#define MUDC_INVALID 1
#define MUDC_USAGE   2

int mudc_check(int argc, char **argv);
int mudc_compile(int argc, char **argv);
int mudc_show(int argc, char **argv);
int mudc_replay(int argc, char **argv);

#endif /* MUDC_H */
