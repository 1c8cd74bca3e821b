/* SPDX-License-Identifier: BSD-3-Clause */
/* mudc: the offline MUD compiler and policy image inspector. */
#include <stdio.h>
#include <string.h>

#include "mudc.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{"check", mudc_check, "check [--lenient] FILE..."},
	{"compile", mudc_compile,
	 "compile [--lenient] [--site SITE.json] --device MAC=MUDFILE ... -o IMAGE"},
	{"show", mudc_show, "show IMAGE"},
	{"replay", mudc_replay, "replay IMAGE PCAP [--json]"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  mudc %s\n", cmds[i].usage);
	fprintf(f, "exit status: 0 success, 1 invalid input, 2 usage\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MUDC_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return MUDC_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mudc %s\n", MG_VERSION);
		return MUDC_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mudc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return MUDC_USAGE;
}
