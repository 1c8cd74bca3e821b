/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudc replay IMAGE PCAP [--json]: every frame of an Ethernet capture through the reference
 * classifier (mg_pkt_parse + mg_classify_frame), with one flow table for the whole capture,
 * as an enforcer that saw the capture in order would decide.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "mg_classify.h"
#include "mudc.h"

#define REPLAY_USAGE "usage: mudc replay IMAGE PCAP [--json]\n"

static void
usage_long(void)
{
	printf(REPLAY_USAGE
	       "Classifies every frame of PCAP (link type EN10MB only) with the policy image,\n"
	       "both sides of each frame as an enforcer does (the source MAC's device\n"
	       "from-device, the destination MAC's device to-device), one flow table for the\n"
	       "whole capture. Frames cut by the capture's snaplen are classified as captured.\n"
	       "\n"
	       "Text output: one line per frame 'INDEX VERDICT RULE', INDEX counting from 0 in\n"
	       "capture order, VERDICT allow or deny, RULE policy/acl/ace for ACE decisions or\n"
	       "the reason (default-deny, malformed, allow-dns, not-device, ...); then one line\n"
	       "per device touched and a summary line.\n"
	       "--json: one object {\"allowed\": N, \"denied\": N, \"devices\": {MAC: "
	       "{\"allowed\":\n"
	       "N, \"denied\": N}}, \"packets\": [{\"index\": I, \"verdict\": \"allow\"|\"deny\",\n"
	       "\"rule\": RULE}]}; a frame counts once for each bound device it touches (source\n"
	       "and/or destination) with the verdict of the whole frame; devices no frame\n"
	       "touched are left out.\n"
	       "Exit 0 after a complete replay, 1 for an invalid image or capture, 2 for usage.\n");
}

struct dev_count {
	uint64_t allowed, denied;
	bool touched;
};

static void
count_dev(const struct mgi_image *img, struct dev_count *counts, const struct mgi_device *d,
	  enum mg_verdict v)
{
	struct dev_count *c;

	if (!d)
		return;
	c = &counts[d - img->devices];
	c->touched = true;
	if (v == MG_ALLOW)
		c->allowed++;
	else
		c->denied++;
}

static void
fmt_mac(char buf[18], const uint8_t mac[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int
mudc_replay(int argc, char **argv)
{
	const char *image_path = NULL, *pcap_path = NULL;
	char errbuf[PCAP_ERRBUF_SIZE > 256 ? PCAP_ERRBUF_SIZE : 256];
	struct dev_count *counts = NULL;
	struct mg_flows *flows = NULL;
	json_t *root = NULL, *packets = NULL;
	uint64_t index = 0, n_allowed = 0, n_denied = 0;
	struct mgi_image img;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	bool json = false;
	pcap_t *pc = NULL;
	void *blob = NULL;
	size_t size;
	int ret = MUDC_INVALID, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_long();
			return MUDC_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mudc replay: unknown option '%s'\n" REPLAY_USAGE, argv[i]);
			return MUDC_USAGE;
		} else if (!image_path) {
			image_path = argv[i];
		} else if (!pcap_path) {
			pcap_path = argv[i];
		} else {
			fprintf(stderr, "mudc replay: extra argument '%s'\n" REPLAY_USAGE, argv[i]);
			return MUDC_USAGE;
		}
	}
	if (!image_path || !pcap_path) {
		fprintf(stderr, REPLAY_USAGE);
		return MUDC_USAGE;
	}

	blob = mg_read_file(image_path, MGI_MAX_SIZE, &size);
	if (!blob) {
		fprintf(stderr, "mudc replay: %s: %s\n", image_path, strerror(errno));
		goto out;
	}
	rc = mgi_open(&img, blob, size, errbuf, sizeof(errbuf));
	if (rc) {
		fprintf(stderr, "mudc replay: %s: invalid image: %s\n", image_path, errbuf);
		goto out;
	}
	pc = pcap_open_offline(pcap_path, errbuf);
	if (!pc) {
		fprintf(stderr, "mudc replay: %s: %s\n", pcap_path, errbuf);
		goto out;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(pc));

		fprintf(stderr,
			"mudc replay: %s: link type %d (%s) not supported, only EN10MB "
			"(Ethernet)\n",
			pcap_path, pcap_datalink(pc), name ? name : "unknown");
		goto out;
	}
	counts = calloc(img.n_devices ? img.n_devices : 1, sizeof(*counts));
	flows = mg_flows_create();
	if (!counts || !flows) {
		fprintf(stderr, "mudc replay: out of memory\n");
		goto out;
	}
	if (json) {
		root = json_object();
		packets = json_array();
		if (!root || !packets) {
			fprintf(stderr, "mudc replay: out of memory\n");
			goto out;
		}
	}

	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		const struct mgi_device *src, *dst;
		struct mg_result res;
		struct mg_pkt p;
		char rule[3 * (MGI_NAME_MAX + 1)];

		mg_pkt_parse(&p, data, hdr->caplen);
		mg_classify_frame(&img, &p, flows, &res);
		mg_result_rule(&img, &res, rule, sizeof(rule));
		if (res.verdict == MG_ALLOW)
			n_allowed++;
		else
			n_denied++;
		src = hdr->caplen >= 12 ? mgi_find_device(&img, p.src_mac) : NULL;
		dst = hdr->caplen >= 12 ? mgi_find_device(&img, p.dst_mac) : NULL;
		count_dev(&img, counts, src, res.verdict);
		if (dst != src)
			count_dev(&img, counts, dst, res.verdict);
		if (json) {
			json_t *o =
				json_pack("{s:I, s:s, s:s}", "index", (json_int_t)index, "verdict",
					  res.verdict == MG_ALLOW ? "allow" : "deny", "rule", rule);

			if (!o || json_array_append_new(packets, o)) {
				fprintf(stderr, "mudc replay: out of memory\n");
				goto out;
			}
		} else {
			printf("%llu %s %s\n", (unsigned long long)index,
			       res.verdict == MG_ALLOW ? "allow" : "deny", rule);
		}
		index++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "mudc replay: %s: frame %llu: %s\n", pcap_path,
			(unsigned long long)index, pcap_geterr(pc));
		goto out;
	}

	if (json) {
		json_t *devs = json_object();
		char *s;

		json_object_set_new(root, "allowed", json_integer((json_int_t)n_allowed));
		json_object_set_new(root, "denied", json_integer((json_int_t)n_denied));
		for (uint32_t i = 0; devs && i < img.n_devices; i++) {
			char mac[18];

			if (!counts[i].touched)
				continue;
			fmt_mac(mac, img.devices[i].mac);
			json_object_set_new(devs, mac,
					    json_pack("{s:I, s:I}", "allowed",
						      (json_int_t)counts[i].allowed, "denied",
						      (json_int_t)counts[i].denied));
		}
		json_object_set_new(root, "devices", devs);
		json_object_set(root, "packets", packets);
		s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		if (!s) {
			fprintf(stderr, "mudc replay: out of memory\n");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		for (uint32_t i = 0; i < img.n_devices; i++) {
			char mac[18];

			if (!counts[i].touched)
				continue;
			fmt_mac(mac, img.devices[i].mac);
			printf("device %s allowed %llu denied %llu\n", mac,
			       (unsigned long long)counts[i].allowed,
			       (unsigned long long)counts[i].denied);
		}
		printf("total %llu allowed %llu denied %llu\n", (unsigned long long)index,
		       (unsigned long long)n_allowed, (unsigned long long)n_denied);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "mudc replay: writing output: %s\n", strerror(errno));
		goto out;
	}
	ret = MUDC_OK;

out:
	json_decref(packets);
	json_decref(root);
	mg_flows_destroy(flows);
	free(counts);
	if (pc)
		pcap_close(pc);
	free(blob);
	return ret;
}
