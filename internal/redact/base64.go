package redact

import "encoding/base64"

// minEncodedRun is the shortest run of base64 characters that is decoded:
// the unpadded encoding of a MinToken-byte value.
const minEncodedRun = (MinToken*8 + 5) / 6

// alphabet is a base64 alphabet: its unpadded encoding and which bytes
// belong to it.
type alphabet struct {
	enc *base64.Encoding
	in  func(c byte) bool
}

var alphabets = []alphabet{
	{base64.RawStdEncoding, func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }},
	{base64.RawURLEncoding, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }},
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// encodedSpans returns the runs of msg in either base64 alphabet whose
// decoding holds a value: a value's encoding is redacted whole, wherever it
// sits in a longer encoded text (a Secret's data, a kubeconfig), without
// the Redactor holding every value's encodings. Each run is decoded from
// each of its first four characters, so that one of them meets the
// encoder's groups whatever precedes the run. work is the shared budget;
// false when it ran out.
func (r *Redactor) encodedSpans(msg string, work *int) ([]span, bool) {
	var spans []span
	for _, a := range alphabets {
		for i := 0; i < len(msg); {
			if !a.in(msg[i]) {
				i++
				continue
			}
			j := i
			for j < len(msg) && a.in(msg[j]) {
				j++
			}
			if j-i >= minEncodedRun {
				hit, ok := r.encodedHolds(a.enc, msg[i:j], work)
				if !ok {
					return nil, false
				}
				if hit {
					// The padding that ends the encoding goes too.
					end := j
					for end < len(msg) && end-j < 2 && msg[end] == '=' {
						end++
					}
					spans = append(spans, span{i, end})
				}
			}
			i = j
		}
	}
	return spans, true
}

// encodedHolds tells whether run, decoded from any of its first four
// characters, holds a value.
func (r *Redactor) encodedHolds(enc *base64.Encoding, run string, work *int) (bool, bool) {
	buf := make([]byte, enc.DecodedLen(len(run)))
	for k := 0; k < 4 && len(run)-k >= minEncodedRun; k++ {
		part := run[k:]
		if len(part)%4 == 1 {
			part = part[:len(part)-1] // a lone last character holds no whole byte
		}
		n, err := enc.Decode(buf, []byte(part))
		if err != nil {
			continue
		}
		// Short values too inside words: the bytes next to a value may be
		// those of the characters before the encoded text, and an encoded
		// text is no message's words.
		spans, ok := r.findWork(string(buf[:n]), work, true)
		if !ok {
			return false, false
		}
		if len(spans) > 0 {
			return true, true
		}
	}
	return false, true
}
