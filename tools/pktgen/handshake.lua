-- SPDX-License-Identifier: BSD-3-Clause
-- The TCP handshakes of mudbench S3 before the measured run, in mudbench's order: every SYN
-- (port 0, from the devices), then every SYN-ACK (port 1), then every ACK (port 0), each frame
-- sent once. pktgen takes one pcap per port, so port 0's is the SYN pcap followed by the ACK
-- pcap (the second file without its 24-byte global header):
--   { cat DIR/S3-syn.pcap; tail -c +25 DIR/S3-ack.pcap; } > DIR/S3-syn-ack.pcap
--   MUDBENCH_FLOWS=N pktgen ... -s 0:DIR/S3-syn-ack.pcap -s 1:DIR/S3-synack.pcap \
--          -f MUDGATE/tools/pktgen/handshake.lua
-- N is the number of frames in S3-syn.pcap (mudbench's handshakes.flows; `mudc replay
-- DIR/S3.mgi DIR/S3-syn.pcap | tail -1` gives it as "total N"). pktgen's pcap pool has no
-- per-lcore cache, so it hands out the frames in file order: the first N sent on port 0 are
-- the SYNs, the next N the ACKs. Then restart pktgen with S3-access.pcap / S3-uplink.pcap and
-- mudbench.lua. Check with mgdpctl counters --json: rx 3N, none denied, flows.added equal to
-- mudbench's handshakes.flows_added. A SYN sent after its SYN-ACK would show as a denied
-- SYN-ACK. MUDBENCH_QUIT=1 leaves pktgen when done (unattended runs).
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local flows = tonumber(os.getenv("MUDBENCH_FLOWS") or "")
if not flows or flows < 1 then
	printf("handshake.lua: set MUDBENCH_FLOWS to the number of frames in S3-syn.pcap\n")
	if os.getenv("MUDBENCH_QUIT") == "1" then
		pktgen.quit()
	end
	return
end

-- Sends `flows` frames on `port` and waits until pktgen has sent them all (at most 30 s).
local function send(port, what)
	local before = pktgen.portStats(port, "port")[tonumber(port)].opackets
	pktgen.set(port, "count", flows)
	pktgen.start(port)
	local sent = 0
	for _ = 1, 300 do
		pktgen.delay(100)
		sent = pktgen.portStats(port, "port")[tonumber(port)].opackets - before
		if sent >= flows then
			break
		end
	end
	pktgen.delay(500) -- let mudgate-dp forward the last burst before the next step
	pktgen.stop(port)
	printf("handshake.lua: port %s sent %d %s\n", port, sent, what)
end

pktgen.set("all", "rate", 0.1) -- 0.1 % of line rate: gaps for pktgen's shared lcore to receive
pktgen.set("all", "burst", 32)
pktgen.pcap("all", "on")
pktgen.clr()
send("0", "SYN")
send("1", "SYN-ACK")
send("0", "ACK")
pktgen.delay(1000)
local st = pktgen.portStats("all", "port")
for p = 0, 1 do
	printf("port %d: sent %d received %d\n", p, st[p].opackets, st[p].ipackets)
end
if os.getenv("MUDBENCH_QUIT") == "1" then
	pktgen.quit()
end
