#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Generates the reference frames used by control/discover and control/dns tests, built with scapy
# (Debian python3-scapy) in the layout real clients and servers use (dhclient/ISC dhcpd for
# DHCPv4, dhclient -6 for DHCPv6, lldpd for LLDP, a recursive resolver for DNS answers).
# Every value the tests check is set here; the output is byte-for-byte deterministic.
#
#   /usr/bin/python3 tests/data/frames/make-frames.py   (writes *.bin next to this script)
import os
import sys

from scapy.all import DNS, DNSQR, DNSRR, Dot1Q, Ether, IP, IPv6, UDP, BOOTP, DHCP, raw
from scapy.contrib.lldp import (LLDPDUChassisID, LLDPDUEndOfLLDPDU,
                                LLDPDUGenericOrganisationSpecific, LLDPDUPortID,
                                LLDPDUSystemName, LLDPDUTimeToLive)
from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_RelayForward, DHCP6_Reply,
                                DHCP6_Solicit, DHCP6OptClientId, DHCP6OptElapsedTime,
                                DHCP6OptIA_NA, DHCP6OptIAAddress, DHCP6OptServerId,
                                DHCP6OptUnknown, DHCP6OptRelayMsg, DUID_LL)
from scapy.layers.dns import dns_compress

OUT = os.path.dirname(os.path.abspath(__file__))

DEV_MAC = "02:00:5e:10:00:01"
SRV_MAC = "02:00:5e:10:00:fe"
MUD_URL = "https://mud.example.com/.well-known/mud/v1/thermostat"
MUD_URL6 = "https://mud.example.com/.well-known/mud/v1/camera"
MUD_URL_LLDP = "https://mud.example.com/.well-known/mud/v1/plc"


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def write(name, pkt):
    data = raw(pkt)
    if pkt.haslayer(DNS):  # the bare message too, as a seed for the DNS fuzzer
        with open(os.path.join(OUT, name.replace(".bin", ".msg")), "wb") as f:
            f.write(raw(pkt[DNS]))
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def bootp_client(xid, opts):
    return (Ether(src=DEV_MAC, dst="ff:ff:ff:ff:ff:ff") /
            IP(src="0.0.0.0", dst="255.255.255.255", id=0, ttl=64) /
            UDP(sport=68, dport=67) /
            BOOTP(op=1, xid=xid, chaddr=mac_bytes(DEV_MAC), flags=0) /
            DHCP(options=opts))


def main():
    # DHCPDISCOVER as dhclient sends it, plus the MUD URL option (RFC 8520 §4.2).
    write("dhcp4-discover-mud.bin", bootp_client(0x3903F326, [
        ("message-type", "discover"),
        ("client_id", b"\x01" + mac_bytes(DEV_MAC)),
        ("requested_addr", "192.0.2.10"),
        ("hostname", b"thermostat-1"),
        ("vendor_class_id", b"mudgate-test"),
        ("param_req_list", [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]),
        (161, MUD_URL.encode()),
        "end"]))

    # DHCPREQUEST behind an 802.1Q tag (VLAN 100) and an 802.1ad outer tag (VLAN 7).
    req = bootp_client(0x3903F327, [
        ("message-type", "request"),
        ("requested_addr", "192.0.2.10"),
        ("server_id", "192.0.2.1"),
        (161, MUD_URL.encode()),
        "end"])
    eth = req[Ether]
    payload = eth.payload
    write("dhcp4-request-qinq.bin",
          Ether(src=DEV_MAC, dst="ff:ff:ff:ff:ff:ff", type=0x88a8) /
          Dot1Q(vlan=7, type=0x8100) / Dot1Q(vlan=100) / payload)

    # A client that announces an http:// MUD URL: accepted frame, refused URL.
    write("dhcp4-discover-http.bin", bootp_client(0x11111111, [
        ("message-type", "discover"),
        (161, b"http://mud.example.com/thermostat"),
        "end"]))

    # DHCPACK from the server (ISC dhcpd layout): yiaddr is what the device got.
    write("dhcp4-ack.bin",
          Ether(src=SRV_MAC, dst=DEV_MAC) /
          IP(src="192.0.2.1", dst="192.0.2.10", id=0, ttl=64) /
          UDP(sport=67, dport=68) /
          BOOTP(op=2, xid=0x3903F327, yiaddr="192.0.2.10", siaddr="192.0.2.1",
                chaddr=mac_bytes(DEV_MAC)) /
          DHCP(options=[("message-type", "ack"), ("server_id", "192.0.2.1"),
                        ("lease_time", 3600), ("subnet_mask", "255.255.255.0"),
                        ("router", "192.0.2.1"), "end"]))

    # DHCPOFFER with option overload 3: message type in 'file', the MUD URL in 'sname'
    # (option 161 is a client option; placing it in sname exercises the overload walk).
    file_opts = bytes([53, 1, 2, 54, 4, 192, 0, 2, 1, 255])
    sname_opts = bytes([161, 23]) + b"https://mud.example.com" + bytes([255])
    write("dhcp4-offer-overload.bin",
          Ether(src=SRV_MAC, dst=DEV_MAC) /
          IP(src="192.0.2.1", dst="192.0.2.10", id=0, ttl=64) /
          UDP(sport=67, dport=68) /
          BOOTP(op=2, xid=0x22222222, yiaddr="192.0.2.11", chaddr=mac_bytes(DEV_MAC),
                sname=sname_opts, file=file_opts) /
          DHCP(options=[("dhcp-option-overload", 3), "end"]))

    # DHCPv6 SOLICIT from dhclient -6 with a DUID-LL, an IA_NA and the MUD URL option 112.
    duid = DUID_LL(lladdr=DEV_MAC)
    write("dhcp6-solicit-mud.bin",
          Ether(src=DEV_MAC, dst="33:33:00:01:00:02") /
          IPv6(src="fe80::5eff:fe10:1", dst="ff02::1:2", hlim=1) /
          UDP(sport=546, dport=547) /
          DHCP6_Solicit(trid=0xABCDEF) /
          DHCP6OptClientId(duid=duid) /
          DHCP6OptElapsedTime(elapsedtime=0) /
          DHCP6OptIA_NA(iaid=0x0e10, T1=0, T2=0) /
          DHCP6OptUnknown(optcode=112, data=MUD_URL6.encode()))

    # DHCPv6 REPLY with two addresses in one IA_NA.
    write("dhcp6-reply.bin",
          Ether(src=SRV_MAC, dst=DEV_MAC) /
          IPv6(src="fe80::5eff:fe10:fe", dst="fe80::5eff:fe10:1", hlim=64) /
          UDP(sport=547, dport=546) /
          DHCP6_Reply(trid=0xABCDF0) /
          DHCP6OptServerId(duid=DUID_LL(lladdr=SRV_MAC)) /
          DHCP6OptClientId(duid=duid) /
          DHCP6OptIA_NA(iaid=0x0e10, T1=1800, T2=2880, ianaopts=[
              DHCP6OptIAAddress(addr="2001:db8::10", preflft=3600, validlft=7200),
              DHCP6OptIAAddress(addr="2001:db8::11", preflft=0, validlft=600)]))

    # A RELAY-FORW (never expected next to the device).
    write("dhcp6-relay-forw.bin",
          Ether(src=SRV_MAC, dst="33:33:00:01:00:02") /
          IPv6(src="2001:db8::1", dst="ff02::1:2") /
          UDP(sport=546, dport=547) /
          DHCP6_RelayForward(hopcount=0, linkaddr="2001:db8::1", peeraddr="fe80::1") /
          DHCP6OptRelayMsg(message=DHCP6_Solicit(trid=1)))

    # LLDPDU from an lldpd-like agent carrying the RFC 8520 §4.4 MUD URL TLV.
    write("lldp-mud.bin",
          Ether(src=DEV_MAC, dst="01:80:c2:00:00:0e", type=0x88cc) /
          LLDPDUChassisID(subtype=4, id=DEV_MAC) /
          LLDPDUPortID(subtype=5, id=b"eth0") /
          LLDPDUTimeToLive(ttl=120) /
          LLDPDUSystemName(system_name=b"plc-1") /
          LLDPDUGenericOrganisationSpecific(org_code=0x00005e, subtype=1,
                                            data=MUD_URL_LLDP.encode()) /
          LLDPDUEndOfLLDPDU())

    # DNS answer a resolver returns for a CDN-hosted name: two CNAMEs then 3 A records,
    # compressed. Plus an unrelated A record that must be ignored.
    dns = DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="updates.example.com", qtype="A"),
              an=DNSRR(rrname="updates.example.com", type="CNAME", ttl=300,
                       rdata="updates.example.com.cdn.example.net") /
              DNSRR(rrname="updates.example.com.cdn.example.net", type="CNAME", ttl=60,
                    rdata="e1234.a.cdn.example.net") /
              DNSRR(rrname="e1234.a.cdn.example.net", type="A", ttl=20, rdata="203.0.113.7") /
              DNSRR(rrname="e1234.a.cdn.example.net", type="A", ttl=20, rdata="203.0.113.8") /
              DNSRR(rrname="e1234.a.cdn.example.net", type="A", ttl=120, rdata="203.0.113.9") /
              DNSRR(rrname="other.example.org", type="A", ttl=20, rdata="198.51.100.66"))
    dns = dns_compress(dns)
    write("dns-cdn-a.bin",
          Ether(src=SRV_MAC, dst=DEV_MAC) /
          IP(src="192.0.2.53", dst="192.0.2.10", id=0, ttl=64) /
          UDP(sport=53, dport=40000) / dns)

    # AAAA answer over IPv6, no CNAME, uncompressed owner names.
    dns6 = DNS(id=0x4321, qr=1, rd=1, ra=1,
               qd=DNSQR(qname="Time.Example.COM", qtype="AAAA"),
               an=DNSRR(rrname="time.example.com", type="AAAA", ttl=3600,
                        rdata="2001:db8::123") /
               DNSRR(rrname="time.example.com", type="AAAA", ttl=1800, rdata="2001:db8::124"))
    write("dns-aaaa.bin",
          Ether(src=SRV_MAC, dst=DEV_MAC) /
          IPv6(src="2001:db8::53", dst="2001:db8::10", hlim=64) /
          UDP(sport=53, dport=40001) / dns6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
