// OpenPGP packet framing (RFC 4880 section 4.2), read the way Go's seal
// package and go-crypto read it.

import { Failure } from "./failure.js";

export const tagPKESK = 1;
export const tagSig = 2;
export const tagSKESK = 3;
export const tagOPS = 4;
export const tagCompressed = 8;
export const tagMarker = 10;
export const tagLiteral = 11;
export const tagSEIPD = 18;
export const tagAEAD = 20;
export const tagPadding = 21;

// newLength decodes a new-format length at b[off]: [n, partial, next], or
// throws "truncated" when the length runs past the data.
function newLength(b, off) {
  if (off >= b.length) throw new Failure("truncated");
  const c = b[off];
  if (c < 192) return [c, false, off + 1];
  if (c < 224) {
    if (off + 2 > b.length) throw new Failure("truncated");
    return [((c - 192) << 8) + b[off + 1] + 192, false, off + 2];
  }
  if (c < 255) return [1 << (c & 0x1f), true, off + 1];
  if (off + 5 > b.length) throw new Failure("truncated");
  const n = b[off + 1] * 2 ** 24 + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  if (n > 0x7fffffff) throw new Failure("damaged");
  return [n, false, off + 5];
}

// onePacket reads the packet at b[off]: {tag, raw, first, body, next}.
// first is the first chunk of a partial body; body is the whole body with
// chunk headers removed.
function onePacket(b, off) {
  const start = off;
  const h = b[off++];
  if ((h & 0x80) === 0) throw new Failure("damaged");
  let tag;
  const chunks = [];
  if (h & 0x40) {
    tag = h & 0x3f;
    for (;;) {
      const [n, partial, next] = newLength(b, off);
      off = next;
      if (n > b.length - off) throw new Failure("truncated");
      chunks.push(b.subarray(off, off + n));
      off += n;
      if (!partial) break;
    }
  } else {
    tag = (h >> 2) & 0x0f;
    let n = 0;
    if ((h & 3) === 3) {
      n = b.length - off; // indeterminate: to the end of the data
    } else {
      const size = 1 << (h & 3);
      if (b.length - off < size) throw new Failure("truncated");
      for (const c of b.subarray(off, off + size)) n = n * 256 + c;
      off += size;
      if (n > b.length - off) throw new Failure("truncated");
    }
    chunks.push(b.subarray(off, off + n));
    off += n;
  }
  if (tag === 0) throw new Failure("damaged");
  return { tag, raw: b.subarray(start, off), first: chunks[0], body: concat(chunks), next: off };
}

// splitPackets cuts a binary message into its top-level packets, as
// seal.splitPackets does: every length is checked against the data, so a
// message cut short is "truncated" before any decryption, and any other
// framing error is "damaged".
export function splitPackets(b) {
  const pkts = [];
  for (let off = 0; off < b.length; ) {
    const p = onePacket(b, off);
    pkts.push(p);
    off = p.next;
  }
  if (pkts.length === 0) throw new Failure("damaged");
  return pkts;
}

// readPackets reads decrypted content as a streaming reader would: the
// packets that frame well, and whether a framing error ended the list.
export function readPackets(b) {
  const pkts = [];
  for (let off = 0; off < b.length; ) {
    let p;
    try {
      p = onePacket(b, off);
    } catch {
      return { pkts, error: true };
    }
    pkts.push(p);
    off = p.next;
  }
  return { pkts, error: false };
}

export function concat(parts) {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
