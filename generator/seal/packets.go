package seal

// OpenPGP packet tags Open deals with (RFC 4880 section 4.3, RFC 9580).
const (
	tagPKESK   = 1
	tagSKESK   = 3
	tagMarker  = 10
	tagSEIPD   = 18
	tagAEAD    = 20
	tagPadding = 21
)

// rawPacket is one top-level packet of a binary message.
type rawPacket struct {
	tag   int
	start int    // offset of the packet header in the message
	raw   []byte // the whole packet, header included
	first []byte // the body, or its first chunk when lengths are partial
}

// splitPackets cuts a binary message into its top-level packets, checking
// every length against the data so a message cut short is told apart
// (ErrTruncated) before any decryption, and any framing error is ErrDamaged.
// Open needs the raw packets to try each passphrase packet on its own.
func splitPackets(b []byte) ([]rawPacket, error) {
	var pkts []rawPacket
	for off := 0; off < len(b); {
		start := off
		h := b[off]
		off++
		if h&0x80 == 0 {
			return nil, ErrDamaged
		}
		var tag int
		var first []byte
		if h&0x40 != 0 {
			// New format: lengths of one, two or five octets, or partial
			// chunks (a power of two each) ended by a definite length.
			tag = int(h & 0x3f)
			for chunk := 0; ; chunk++ {
				n, partial, next, err := newLength(b, off)
				if err != nil {
					return nil, err
				}
				off = next
				if n > len(b)-off {
					return nil, ErrTruncated
				}
				if chunk == 0 {
					first = b[off : off+n]
				}
				off += n
				if !partial {
					break
				}
			}
		} else {
			tag = int(h>>2) & 0x0f
			var n int
			switch h & 3 {
			case 0, 1, 2:
				size := 1 << (h & 3)
				if len(b)-off < size {
					return nil, ErrTruncated
				}
				for _, c := range b[off : off+size] {
					n = n<<8 | int(c)
				}
				off += size
				if n < 0 || n > len(b)-off {
					return nil, ErrTruncated
				}
			case 3:
				// Indeterminate: the packet runs to the end of the data.
				n = len(b) - off
			}
			first = b[off : off+n]
			off += n
		}
		if tag == 0 {
			return nil, ErrDamaged
		}
		pkts = append(pkts, rawPacket{tag: tag, start: start, raw: b[start:off], first: first})
	}
	if len(pkts) == 0 {
		return nil, ErrDamaged
	}
	return pkts, nil
}

// newLength decodes a new-format packet length at b[off:], returning the
// length, whether it is a partial chunk, and the offset after it.
func newLength(b []byte, off int) (n int, partial bool, next int, err error) {
	if off >= len(b) {
		return 0, false, 0, ErrTruncated
	}
	c := int(b[off])
	switch {
	case c < 192:
		return c, false, off + 1, nil
	case c < 224:
		if off+2 > len(b) {
			return 0, false, 0, ErrTruncated
		}
		return (c-192)<<8 + int(b[off+1]) + 192, false, off + 2, nil
	case c < 255:
		return 1 << (c & 0x1f), true, off + 1, nil
	default:
		if off+5 > len(b) {
			return 0, false, 0, ErrTruncated
		}
		n := int(b[off+1])<<24 | int(b[off+2])<<16 | int(b[off+3])<<8 | int(b[off+4])
		if n < 0 {
			return 0, false, 0, ErrDamaged
		}
		return n, false, off + 5, nil
	}
}
