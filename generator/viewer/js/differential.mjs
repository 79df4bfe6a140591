// The node side of the differential test (differential_test.go): loads the
// bundled decryptor exactly as record.html carries it, opens each case and
// prints the verdicts as JSON. It prints nothing else: no record data, no
// key. No network is used.
//
//	node differential.mjs DECRYPTOR.js CASES.json
import { readFileSync } from "node:fs";
import { runInThisContext } from "node:vm";

const [script, casesFile] = process.argv.slice(2);
runInThisContext(readFileSync(script, "utf8"), { filename: "decryptor.js" });
const api = globalThis.satchelDecryptor;
const b64 = (b) => Buffer.from(b).toString("base64");
const cases = JSON.parse(readFileSync(casesFile, "utf8"));
const out = [];
for (const c of cases) {
  const msg = new Uint8Array(Buffer.from(c.msg || "", "base64"));
  const pinned = c.pinned ? new Uint8Array(Buffer.from(c.pinned, "base64")) : null;
  const checked = api.checkKey(c.key);
  const r = checked.error ? checked : await api.open(msg, c.key, pinned);
  if (r.error) {
    out.push({ error: r.error });
    continue;
  }
  const v = { files: r.files.map((f) => ({ name: f.name, data: b64(f.data) })), fingerprint: r.fingerprint, pinned: r.pinned };
  if (r.signedAt) v.signedAt = r.signedAt;
  out.push(v);
}
process.stdout.write(JSON.stringify(out));
