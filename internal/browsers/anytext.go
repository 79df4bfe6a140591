package browsers

// AnyTextScript returns a JavaScript expression that is true when any of
// texts (a JSON array of strings) is in the page: in any text node or
// attribute of the document or of its frames, hidden ones included, but
// not in inline scripts, where a record.html's armored message and the
// minified decryptor hold any short word by chance. It answers yes or no
// only, so no record text reaches test output.
func AnyTextScript(texts []byte) string {
	return `(() => {
		const seen = (d) => {
			let s = "";
			const w = d.createTreeWalker(d.documentElement, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) {
				if (n.parentNode.nodeName !== "SCRIPT") s += " " + n.nodeValue;
			}
			for (const el of d.querySelectorAll("*")) {
				if (el.tagName === "SCRIPT") continue;
				for (const a of el.attributes) s += " " + a.value;
			}
			return s;
		};
		let s = seen(document);
		for (const f of document.querySelectorAll("iframe")) {
			try { s += seen(f.contentDocument); } catch (e) { s += "?"; }
		}
		return ` + string(texts) + `.some((t) => s.includes(t));
	})()`
}
