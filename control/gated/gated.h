/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudgated's core: one libevent loop that ties discovery (punted DHCP/LLDP frames and static
 * bindings), fetching (control/fetch), the cache (control/cache), signature verification
 * (control/verify), validation (control/mud), compilation (control/compile), the device
 * lifecycle (control/lifecycle), dnsname sets (control/dnsname) and publication to mudgate-dp
 * (control/publish). docs/control.md describes the behaviour; main.c is only the command line.
 *
 * Logging: one line per event on stderr, "mudgated[MODULE] text", MODULE one of main, config,
 * discover, fetch, verify, mud, compile, lifecycle, publish, dnsname.
 */
#ifndef GATED_H
#define GATED_H

#include <stdarg.h>
#include <stdbool.h>

enum gated_log_level {
	GATED_LOG_ERR = 0,
	GATED_LOG_WARNING = 1,
	GATED_LOG_NOTICE = 2,
	GATED_LOG_INFO = 3,
	GATED_LOG_DEBUG = 4,
};

struct gated_opts {
	const char *config;
	const char *state_dir;
	const char *ctrl;
	const char *pid_file;
	const char *netconf; /* NETCONF settings file (control/nb/nb_gated.inc), NULL: none */
	bool foreground;
	enum gated_log_level log_level;
};

/* "err", "warning", "notice", "info", "debug"; -EINVAL otherwise. */
int gated_log_level_parse(const char *s);
void gated_log(enum gated_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs until SIGTERM/SIGINT. Returns the process exit status (0, 1 on a startup error). */
int gated_run(const struct gated_opts *o);

#endif /* GATED_H */
