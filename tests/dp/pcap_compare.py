#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pcap_compare.py IN.pcap REPLAY.json OUT.pcap

Asserts that OUT.pcap (what mudgate-dp transmitted) holds exactly the frames of IN.pcap that
`mudc replay --json` allowed, byte for byte and in capture order. Exit 0 when equal, 1 with the
first difference otherwise."""
import json
import struct
import sys


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f'{path}: not a pcap file')
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        endian = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        endian = '>'
    else:
        raise SystemExit(f'{path}: bad pcap magic {magic:#x}')
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        out.append(data[off:off + caplen])
        off += caplen
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    inp = frames(sys.argv[1])
    with open(sys.argv[2]) as f:
        replay = json.load(f)
    out = frames(sys.argv[3])
    verdicts = {p['index']: p['verdict'] for p in replay['packets']}
    if len(verdicts) != len(inp):
        print(f'replay has {len(verdicts)} verdicts for {len(inp)} frames')
        return 1
    want = [fr for i, fr in enumerate(inp) if verdicts[i] == 'allow']
    for k, (a, b) in enumerate(zip(want, out)):
        if a != b:
            idx = [i for i, _ in enumerate(inp) if verdicts[i] == 'allow'][k]
            print(f'output frame {k} differs: expected input frame {idx} ({a.hex()}), got {b.hex()}')
            return 1
    if len(want) != len(out):
        print(f'{len(out)} frames out, {len(want)} allowed by the reference')
        return 1
    print(f'{len(inp)} frames in, {len(out)} out, {len(inp) - len(out)} dropped: equal to mudc replay')
    return 0


if __name__ == '__main__':
    sys.exit(main())
