#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pcap_select.py IN.pcap REPLAY.json SRC-MAC OUT.pcap

Writes to OUT.pcap the frames of IN.pcap sent by SRC-MAC that `mudc replay --json` allowed by an
ACE of the device's policy (rule "policy/acl/ace", not an allowance nor an unbound peer). Prints
their count."""
import json
import struct
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], 'rb') as f:
        data = f.read()
    with open(sys.argv[2]) as f:
        packets = json.load(f)['packets']
    mac = bytes(int(x, 16) for x in sys.argv[3].split(':'))
    endian = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    out, off, i, n = [data[:24]], 24, 0, 0
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + 'IIII', data[off:off + 16])[2]
        rec = data[off:off + 16 + caplen]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        p = packets[i]
        i += 1
        if frame[6:12] != mac or p['verdict'] != 'allow' or p['rule'].count('/') < 2:
            continue
        out.append(rec)
        n += 1
    with open(sys.argv[4], 'wb') as f:
        f.write(b''.join(out))
    print(n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
