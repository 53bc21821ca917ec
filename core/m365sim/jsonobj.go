package m365sim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// jobj is a JSON object that keeps its keys in insertion order, as Graph
// writes properties in schema order ("@odata.context" first). It is also
// much cheaper to encode than a map on the hot paths (user pages).
type jobj []kv

type kv struct {
	k string
	v any
}

func (o jobj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(64 * len(o))
	if err := o.appendTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (o jobj) appendTo(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSONString(b, e.k)
		b.WriteByte(':')
		if err := appendJSONValue(b, e.v); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func appendJSONValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		appendJSONString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case []string:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSONString(b, s)
		}
		b.WriteByte(']')
	case jobj:
		return x.appendTo(b)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSONValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(raw)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string. Unlike encoding/json it leaves
// '<', '>' and '&' alone, as Graph does ("&" in @odata.nextLink).
func appendJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
