/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudgated: the mudgate control plane daemon.
 *
 *   mudgated --config FILE --state-dir DIR --ctrl SOCKET [--foreground]
 *            [--log-level LEVEL] [--pid-file FILE]
 *
 * Signals: SIGUSR1 logs a status summary, SIGHUP reloads the configuration (a refused
 * configuration keeps the running one), SIGTERM/SIGINT exit (mudgate-dp keeps enforcing).
 * Exit status: 0 after a signal, 1 on a startup error, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gated/gated.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mudgated --config FILE --state-dir DIR --ctrl SOCKET [--foreground]\n"
		   "                [--log-level err|warning|notice|info|debug] [--pid-file FILE]\n"
		   "  --config     startup configuration (JSON of yang/mudgate.yang)\n"
		   "  --state-dir  where the cache, devices.json and the published image live\n"
		   "  --ctrl       the control socket of mudgate-dp\n"
		   "  --foreground do not detach (logs go to stderr in both modes)\n"
		   "  --netconf    NETCONF server settings (JSON; docs/netconf.md)\n"
		   "See docs/control.md.\n");
}

static int
write_pid_file(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = errno == EWOULDBLOCK ? -EEXIST : -errno;
		close(fd);
		return rc;
	}
	if (ftruncate(fd, 0) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, strlen(buf)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return 0; /* fd stays open: the lock marks the daemon as running */
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"ctrl", required_argument, NULL, 'C'},
		{"foreground", no_argument, NULL, 'f'},
		{"log-level", required_argument, NULL, 'l'},
		{"pid-file", required_argument, NULL, 'p'},
		{"netconf", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct gated_opts o = {.log_level = GATED_LOG_INFO};
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:s:C:fl:p:n:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 's':
			o.state_dir = optarg;
			break;
		case 'C':
			o.ctrl = optarg;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'l':
			rc = gated_log_level_parse(optarg);
			if (rc < 0) {
				fprintf(stderr,
					"mudgated: --log-level '%s': want err, warning, "
					"notice, info or debug\n",
					optarg);
				return 2;
			}
			o.log_level = rc;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'n':
			o.netconf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mudgated " MG_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !o.config || !o.state_dir || !o.ctrl) {
		fprintf(stderr, "mudgated: --config, --state-dir and --ctrl are required\n");
		usage(stderr);
		return 2;
	}
	if (!o.foreground && daemon(1, 1) < 0) { /* keep cwd and stderr: logs go there */
		fprintf(stderr, "mudgated: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	if (o.pid_file) {
		rc = write_pid_file(o.pid_file);
		if (rc < 0) {
			fprintf(stderr, "mudgated: pid file %s: %s\n", o.pid_file,
				rc == -EEXIST ? "another mudgated holds it" : strerror(-rc));
			return 1;
		}
	}
	rc = gated_run(&o);
	if (o.pid_file)
		unlink(o.pid_file);
	return rc;
}
