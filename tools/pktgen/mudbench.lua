-- SPDX-License-Identifier: BSD-3-Clause
-- Pktgen-DPDK profile replaying the mudbench workloads S1-S3 against mudgate-dp, on real NICs
-- or over net_memif. The frames are exactly mudbench's: write them with
--   mudbench --scenario S2 --duration 1 --json /dev/null --pcap DIR
-- and start pktgen with port 0 facing mudgate-dp's access port, port 1 its uplink:
--   pktgen -l 2-4 -n 4 -- -P -m "[3].0,[4].1" -s 0:DIR/S2-access.pcap -s 1:DIR/S2-uplink.pcap \
--          -f MUDGATE/tools/pktgen/mudbench.lua
-- from pktgen's source directory (require "Pktgen" loads its Pktgen.lua). Environment:
-- MUDBENCH_SECONDS (30), MUDBENCH_RATE (100, percent of line rate, fractions allowed: 0.5),
-- MUDBENCH_QUIT (1: quit). mudgate-dp runs with DIR/S2.mgi or DIR/S3.mgi as --image (S2, S3)
-- or without an image (S1: enforcement off). S3 needs its TCP handshakes first, on the same
-- mudgate-dp: tools/pktgen/handshake.lua with the -syn (+ -ack) / -synack pcaps (see its
-- header and docs/performance.md "S3 over net_memif").
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local secs = tonumber(os.getenv("MUDBENCH_SECONDS") or "30")
local rate = tonumber(os.getenv("MUDBENCH_RATE") or "100") -- percent of line rate

pktgen.set("all", "rate", rate)
pktgen.set("all", "burst", 32)
pktgen.pcap("all", "on")
pktgen.clr()
pktgen.start("0,1")
pktgen.delay(secs * 1000)
pktgen.stop("0,1")
pktgen.delay(1000)
local st = pktgen.portStats("all", "port")
for p = 0, 1 do
	printf("port %d: sent %d received %d (%.3f Mpps sent, %.3f Mpps received)\n", p,
	       st[p].opackets, st[p].ipackets, st[p].opackets / secs / 1e6,
	       st[p].ipackets / secs / 1e6)
end
-- What mudgate-dp forwarded from port 0 arrives on port 1 and vice versa; the frames it
-- denied are in its counters (mgdpctl counters --json: drops.default-deny, drops.ace-drop).
local sent = st[0].opackets + st[1].opackets
if sent > 0 then
	printf("total: sent %d received %d, received/sent %.4f\n", sent,
	       st[0].ipackets + st[1].ipackets, (st[0].ipackets + st[1].ipackets) / sent)
end
-- MUDBENCH_QUIT=1 leaves pktgen when the run is done (unattended runs).
if os.getenv("MUDBENCH_QUIT") == "1" then
	pktgen.quit()
end
