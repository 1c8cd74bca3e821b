/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_pcapgen IMAGE OUT.pcap N [SEED]: writes N frames for IMAGE (crafted from its devices'
 * ACEs, replies, random and boundary frames) as an Ethernet capture.
 * dp_pcapgen --empty OUT.pcap: a capture without frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#include "dp_testgen.h"
#include "mg_image.h"

int
main(int argc, char **argv)
{
	struct mgi_image img;
	char err[256];
	size_t size;
	void *blob = NULL;

	if (argc == 3 && !strcmp(argv[1], "--empty")) {
		pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d = pd ? pcap_dump_open(pd, argv[2]) : NULL;
		if (!d) {
			fprintf(stderr, "dp_pcapgen: %s: cannot create\n", argv[2]);
			return 1;
		}
		pcap_dump_close(d);
		pcap_close(pd);
		return 0;
	}
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: dp_pcapgen IMAGE OUT.pcap N [SEED] | --empty OUT.pcap\n");
		return 2;
	}
	blob = mg_read_file(argv[1], MGI_MAX_SIZE, &size);
	if (!blob || mgi_open(&img, blob, size, err, sizeof(err)) < 0) {
		fprintf(stderr, "dp_pcapgen: %s: %s\n", argv[1], blob ? err : strerror(errno));
		return 1;
	}
	unsigned long n = strtoul(argv[3], NULL, 0);
	struct tg *t = malloc(sizeof(*t));
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pd ? pcap_dump_open(pd, argv[2]) : NULL;
	if (!t || !d) {
		fprintf(stderr, "dp_pcapgen: %s: cannot create\n", argv[2]);
		return 1;
	}
	tg_init(t, argc == 5 ? strtoull(argv[4], NULL, 0) : 1);
	for (unsigned long i = 0; i < n; i++) {
		uint8_t f[256];
		size_t len = tg_frame_image(t, &img, f);
		if (len == 0)
			len = 1; /* keep every record non-empty */
		struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + (time_t)(i / 1000),
					       .tv_usec = (suseconds_t)(i % 1000) * 1000},
					.caplen = (bpf_u_int32)len,
					.len = (bpf_u_int32)len};
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	free(t);
	free(blob);
	return 0;
}
