/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_test GEN_PCAPS: runs the generator into a temporary directory, then
 * `mudc replay IMAGE PCAP --json` on each scenario, and compares the output with the verdicts
 * below, worked out by hand from the policies gen_pcaps.c builds. Also checks the text
 * output and the error paths (link type, invalid image). Exit 0 pass, 1 fail, 77 skip when
 * mudc is not built.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

struct want_pkt {
	const char *verdict;
	const char *rule;
};

struct want_dev {
	const char *mac;
	int allowed, denied;
};

struct scenario {
	const char *name;
	const struct want_pkt *pkts;
	size_t n_pkts;
	int allowed, denied;
	const struct want_dev *devs;
	size_t n_devs;
};

static const struct want_pkt basic_pkts[] = {
	/* 0 thermostat SYN to the cloud: opens the flow */
	{"allow", "thermo/out/cloud-https"},
	/* 1 the cloud's SYN-ACK: the reverse of a recorded flow */
	{"allow", "thermo/in/https-reply"},
	/* 2 thermostat ACK */
	{"allow", "thermo/out/cloud-https"},
	/* 3 from the cloud to another port: no flow */
	{"deny", "default-deny"},
	/* 4 NTP */
	{"allow", "thermo/out/ntp"},
	/* 5 telnet: explicit drop */
	{"deny", "thermo/out/block-telnet"},
	/* 6 SMTP: nothing matches */
	{"deny", "default-deny"},
	/* 7 echo request to the thermostat */
	{"allow", "thermo/in/ping"},
	/* 8 ARP */
	{"allow", "allow-arp"},
	/* 9 quarantined device asks the resolver */
	{"allow", "allow-dns"},
	/* 10 quarantined device asks another server */
	{"deny", "profile-no-policy"},
	/* 11 thermostat -> quarantined device: the thermostat allows, the receiver denies */
	{"deny", "profile-no-policy"},
	/* 12 two hosts that are not devices */
	{"allow", "not-device"},
	/* 13 IPv4 header cut */
	{"deny", "malformed"},
	/* 14 NTP behind a VLAN tag */
	{"allow", "thermo/out/ntp"},
	/* 15 non-first fragment: the NTP ACE needs a port */
	{"deny", "default-deny"},
};

static const struct want_dev basic_devs[] = {
	{"02:00:00:00:00:01", 7, 6},
	{"02:00:00:00:00:02", 1, 2},
};

static const struct want_pkt v6_pkts[] = {
	{"allow", "allow-nd"},        /* 0 router solicitation */
	{"allow", "allow-dhcp"},      /* 1 DHCPv6 solicit */
	{"allow", "lamp/out/coap"},   /* 2 behind two extension headers */
	{"allow", "lamp/in/coap"},    /* 3 */
	{"deny", "default-deny"},     /* 4 CoAP to a host outside the controller set */
	{"deny", "profile-deny-all"}, /* 5 decommissioned device */
	{"deny", "malformed"},        /* 6 nine extension headers */
};

static const struct want_dev v6_devs[] = {
	{"02:00:00:00:00:10", 4, 2},
	{"02:00:00:00:00:11", 0, 1},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct scenario scenarios[] = {
	{"basic", basic_pkts, N(basic_pkts), 9, 7, basic_devs, N(basic_devs)},
	{"v6", v6_pkts, N(v6_pkts), 4, 3, v6_devs, N(v6_devs)},
};

static int failures;

#define EXPECT(cond, ...)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, "\n");                               \
			failures++;                                          \
		}                                                            \
	} while (0)

/* Runs argv, returns its exit status (-1 on failure to run); stdout and stderr captured. */
static int
run(char *const argv[], char **out, char **err)
{
	char path_out[] = "/tmp/replay_out.XXXXXX", path_err[] = "/tmp/replay_err.XXXXXX";
	int fo = mkstemp(path_out), fe = mkstemp(path_err), status = -1;
	pid_t pid;

	if (fo < 0 || fe < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	for (int i = 0; i < 2; i++) {
		int fd = i ? fe : fo;
		char **dst = i ? err : out;
		off_t len = lseek(fd, 0, SEEK_END);

		*dst = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
		lseek(fd, 0, SEEK_SET);
		if (*dst && len > 0 && read(fd, *dst, (size_t)len) != len)
			(*dst)[0] = '\0';
		close(fd);
	}
	unlink(path_out);
	unlink(path_err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
check_json(const struct scenario *s, const char *mudc, const char *dir)
{
	char img[4096], pcap[4096];
	char *out, *err;
	json_error_t jerr;
	json_t *root, *pkts, *devs;
	int rc;

	snprintf(img, sizeof(img), "%s/%s.img", dir, s->name);
	snprintf(pcap, sizeof(pcap), "%s/%s.pcap", dir, s->name);
	rc = run((char *const[]){(char *)mudc, "replay", img, pcap, "--json", NULL}, &out, &err);
	EXPECT(rc == 0, "%s: mudc replay exit %d: %s", s->name, rc, err);
	root = json_loads(out, 0, &jerr);
	EXPECT(root != NULL, "%s: output is not JSON (%s): %s", s->name, jerr.text, out);
	if (!root)
		goto out;
	EXPECT(json_object_size(root) == 4, "%s: %zu keys", s->name, json_object_size(root));
	EXPECT(json_integer_value(json_object_get(root, "allowed")) == s->allowed,
	       "%s: allowed %lld, want %d", s->name,
	       (long long)json_integer_value(json_object_get(root, "allowed")), s->allowed);
	EXPECT(json_integer_value(json_object_get(root, "denied")) == s->denied,
	       "%s: denied %lld, want %d", s->name,
	       (long long)json_integer_value(json_object_get(root, "denied")), s->denied);
	pkts = json_object_get(root, "packets");
	EXPECT(json_array_size(pkts) == s->n_pkts, "%s: %zu packets, want %zu", s->name,
	       json_array_size(pkts), s->n_pkts);
	for (size_t i = 0; i < s->n_pkts && i < json_array_size(pkts); i++) {
		json_t *p = json_array_get(pkts, i);
		const char *v = json_string_value(json_object_get(p, "verdict"));
		const char *r = json_string_value(json_object_get(p, "rule"));

		EXPECT(json_integer_value(json_object_get(p, "index")) == (json_int_t)i,
		       "%s: packet %zu has index %lld", s->name, i,
		       (long long)json_integer_value(json_object_get(p, "index")));
		EXPECT(v && !strcmp(v, s->pkts[i].verdict), "%s: packet %zu verdict %s, want %s",
		       s->name, i, v ? v : "(none)", s->pkts[i].verdict);
		EXPECT(r && !strcmp(r, s->pkts[i].rule), "%s: packet %zu rule %s, want %s", s->name,
		       i, r ? r : "(none)", s->pkts[i].rule);
	}
	devs = json_object_get(root, "devices");
	EXPECT(json_object_size(devs) == s->n_devs, "%s: %zu devices, want %zu", s->name,
	       json_object_size(devs), s->n_devs);
	for (size_t i = 0; i < s->n_devs; i++) {
		json_t *d = json_object_get(devs, s->devs[i].mac);

		EXPECT(d != NULL, "%s: device %s missing", s->name, s->devs[i].mac);
		EXPECT(json_integer_value(json_object_get(d, "allowed")) == s->devs[i].allowed &&
			       json_integer_value(json_object_get(d, "denied")) ==
				       s->devs[i].denied,
		       "%s: device %s counts %lld/%lld, want %d/%d", s->name, s->devs[i].mac,
		       (long long)json_integer_value(json_object_get(d, "allowed")),
		       (long long)json_integer_value(json_object_get(d, "denied")),
		       s->devs[i].allowed, s->devs[i].denied);
	}
	json_decref(root);
out:
	free(out);
	free(err);
}

static void
check_text_and_errors(const char *mudc, const char *dir)
{
	char img[4096], pcap[4096], raw[4096], bad[4096];
	char *out, *err;
	int rc;

	snprintf(img, sizeof(img), "%s/basic.img", dir);
	snprintf(pcap, sizeof(pcap), "%s/basic.pcap", dir);
	snprintf(raw, sizeof(raw), "%s/raw.pcap", dir);
	snprintf(bad, sizeof(bad), "%s/bad.img", dir);

	rc = run((char *const[]){(char *)mudc, "replay", img, pcap, NULL}, &out, &err);
	EXPECT(rc == 0, "text replay exit %d: %s", rc, err);
	{
		const char *head =
			"0 allow thermo/out/cloud-https\n1 allow thermo/in/https-reply\n";

		EXPECT(!strncmp(out, head, strlen(head)), "text output starts: %.80s", out);
	}
	EXPECT(strstr(out, "\n5 deny thermo/out/block-telnet\n") != NULL, "text line 5 missing");
	EXPECT(strstr(out, "\n15 deny default-deny\n") != NULL, "text line 15 missing");
	EXPECT(strstr(out, "device 02:00:00:00:00:01 allowed 7 denied 6\n") != NULL,
	       "device line missing: %s", out);
	EXPECT(strstr(out, "\ntotal 16 allowed 9 denied 7\n") != NULL, "summary missing: %s", out);
	free(out);
	free(err);

	rc = run((char *const[]){(char *)mudc, "replay", img, raw, "--json", NULL}, &out, &err);
	EXPECT(rc == 1, "raw pcap exit %d", rc);
	EXPECT(strstr(err, "not supported, only EN10MB (Ethernet)") != NULL, "raw pcap: %s", err);
	EXPECT(out[0] == '\0', "raw pcap printed: %s", out);
	free(out);
	free(err);

	rc = run((char *const[]){(char *)mudc, "replay", bad, pcap, NULL}, &out, &err);
	EXPECT(rc == 1, "bad image exit %d", rc);
	EXPECT(strstr(err, "invalid image: image_size 256 does not match the blob size 100") !=
		       NULL,
	       "bad image: %s", err);
	free(out);
	free(err);

	rc = run((char *const[]){(char *)mudc, "replay", img, NULL}, &out, &err);
	EXPECT(rc == 2, "usage exit %d", rc);
	free(out);
	free(err);

	rc = run((char *const[]){(char *)mudc, "show", img, NULL}, &out, &err);
	EXPECT(rc == 0, "show exit %d: %s", rc, err);
	EXPECT(strstr(out, " out/block-telnet drop ipv4 proto=6 src=any dst=any dport=23\n") !=
		       NULL,
	       "show ACE line: %s", out);
	EXPECT(strstr(out, "out/cloud-https accept ipv4 proto=6 src=any dst=203.0.113.10/32 "
			   "dport=443 initiated=from-device\n") != NULL,
	       "show ACE line: %s", out);
	EXPECT(strstr(out, "  02:00:00:00:00:02 quarantined     thermo\n") != NULL,
	       "show device line: %s", out);
	free(out);
	free(err);

	rc = run((char *const[]){(char *)mudc, "show", bad, NULL}, &out, &err);
	EXPECT(rc == 1, "show bad exit %d", rc);
	EXPECT(strstr(err, "image_size 256 does not match the blob size 100") != NULL,
	       "show bad: %s", err);
	free(out);
	free(err);
}

int
main(int argc, char **argv)
{
	const char *build = getenv("MUDGATE_BUILD_DIR");
	char mudc[4096], dir[] = "/tmp/mudgate-pcap.XXXXXX";
	char *out, *err;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: replay_test GEN_PCAPS\n");
		return 2;
	}
	snprintf(mudc, sizeof(mudc), "%s/mudc", build ? build : ".");
	if (access(mudc, X_OK)) {
		printf("SKIP: %s not built\n", mudc);
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	rc = run((char *const[]){argv[1], dir, NULL}, &out, &err);
	EXPECT(rc == 0, "gen_pcaps exit %d: %s", rc, err);
	free(out);
	free(err);
	if (rc == 0) {
		for (size_t i = 0; i < N(scenarios); i++)
			check_json(&scenarios[i], mudc, dir);
		check_text_and_errors(mudc, dir);
	}
	rc = run((char *const[]){"/bin/rm", "-rf", dir, NULL}, &out, &err);
	free(out);
	free(err);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("pcap replay: %zu scenarios passed\n", N(scenarios));
	return 0;
}
