// Unpacking the zip inside a bundle with the rules of Go's bundle.Unpack
// (archive/zip): names without folders, a record document, stored or
// deflated files whose CRC-32 and size match. Deflate is the browser's own
// DecompressionStream, which the page already relies on.

import { Failure } from "./failure.js";

const maxSize = 64 << 20;
const names = new TextDecoder();

const crcTable = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  crcTable[n] = c;
}
function crc32(b) {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

async function inflateRaw(b) {
  const stream = new Blob([b]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// unpack returns [{name, data}] or throws "not-record".
export async function unpack(data) {
  const bad = () => new Failure("not-record");
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // The end of central directory record, searched from the end.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad();
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  let off = dv.getUint32(eocd + 16, true);
  if (off + cdSize > data.length) throw bad();
  const files = [];
  let hasDoc = false;
  for (let i = 0; i < count; i++) {
    if (off + 46 > data.length || dv.getUint32(off, true) !== 0x02014b50) throw bad();
    const method = dv.getUint16(off + 10, true);
    const crc = dv.getUint32(off + 16, true);
    const csize = dv.getUint32(off + 20, true);
    const usize = dv.getUint32(off + 24, true);
    const nameLen = dv.getUint16(off + 28, true);
    const extraLen = dv.getUint16(off + 30, true);
    const commentLen = dv.getUint16(off + 32, true);
    const local = dv.getUint32(off + 42, true);
    if (off + 46 + nameLen > data.length) throw bad();
    const name = names.decode(data.subarray(off + 46, off + 46 + nameLen));
    off += 46 + nameLen + extraLen + commentLen;
    if (name === "" || name === "." || name === ".." || name.includes("/")) throw bad();
    if (usize > maxSize || csize === 0xffffffff) throw bad();
    if (local + 30 > data.length || dv.getUint32(local, true) !== 0x04034b50) throw bad();
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + csize > data.length) throw bad();
    const raw = data.subarray(start, start + csize);
    let out;
    if (method === 0) out = raw.slice();
    else if (method === 8) {
      try {
        out = await inflateRaw(raw);
      } catch {
        throw bad();
      }
    } else throw bad();
    if (out.length !== usize || crc32(out) !== crc) {
      out.fill(0);
      throw bad();
    }
    if (name === "document.html") hasDoc = true;
    files.push({ name, data: out });
  }
  if (!hasDoc) {
    for (const f of files) f.data.fill(0);
    throw bad();
  }
  return files;
}
