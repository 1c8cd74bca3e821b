-- SPDX-License-Identifier: BSD-3-Clause
-- The TCP handshakes of mudbench S3 before the measured run: every SYN (port 0, from the
-- devices) strictly before its SYN-ACK (port 1), each pcap sent once.
--   pktgen ... -s 0:DIR/S3-syn.pcap -s 1:DIR/S3-synack.pcap -f tools/pktgen/handshake.lua
-- then restart pktgen with S3-access.pcap / S3-uplink.pcap and mudbench.lua. mudgate-dp's
-- flows.added counter must equal the number of flows mudbench reports (handshakes.flows_added).
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local flows = tonumber(os.getenv("MUDBENCH_FLOWS") or "10000")
pktgen.set("all", "rate", 1)
pktgen.pcap("all", "on")
pktgen.set("0", "count", flows)
pktgen.start("0")
pktgen.delay(3000)
pktgen.stop("0")
pktgen.set("1", "count", flows)
pktgen.start("1")
pktgen.delay(3000)
pktgen.stop("1")
printf("handshakes sent: %d SYN, %d SYN-ACK\n", flows, flows)
