package transfer

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the character encoding of an import file.
type Encoding string

// Encodings an import reads.
const (
	// EncodingAuto reads UTF-8, UTF-8 with a byte order mark and UTF-16
	// (little or big endian) with a byte order mark, and refuses anything
	// else: which single-byte code page a file uses cannot be told from its
	// bytes.
	EncodingAuto Encoding = ""
	// EncodingWindows1252 reads the "ANSI" code page Excel on Western
	// Windows saves CSV in; it is a superset of the printable part of
	// ISO-8859-1 (Latin-1). A byte order mark still wins.
	EncodingWindows1252 Encoding = "windows-1252"
)

// ParseEncoding reads an encoding name as given on the command line.
func ParseEncoding(name string) (Encoding, error) {
	switch strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(name)) {
	case "", "auto", "utf8", "utf16":
		return EncodingAuto, nil
	case "windows1252", "cp1252", "ansi", "latin1", "iso88591", "l1":
		return EncodingWindows1252, nil
	}
	return "", fmt.Errorf("unknown encoding %q (want utf-8 or windows-1252; latin1 means windows-1252)", name)
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeInput reads all of r and returns it as UTF-8 without a byte order
// mark, or an error naming file and line when it cannot be read as text in
// a known encoding. Nothing is ever replaced by U+FFFD.
func decodeInput(r io.Reader, enc Encoding, file string) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		b = b[len(bomUTF8):]
	case bytes.HasPrefix(b, bomUTF16LE):
		return decodeUTF16(b[2:], false, file)
	case bytes.HasPrefix(b, bomUTF16BE):
		return decodeUTF16(b[2:], true, file)
	}
	if enc == EncodingWindows1252 {
		return decodeWindows1252(b), nil
	}
	if !utf8.Valid(b) {
		at := invalidUTF8(b)
		return "", fmt.Errorf("%s:%d: not UTF-8 text (byte 0x%02X); if it was saved as ANSI, Windows-1252 or Latin-1 (as Excel does), import it with --encoding windows-1252, or save it as \"CSV UTF-8\"",
			file, 1+bytes.Count(b[:at], []byte{'\n'}), b[at])
	}
	return string(b), nil
}

// invalidUTF8 returns the offset of the first byte of b that is not part of
// valid UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func decodeUTF16(b []byte, bigEndian bool, file string) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%s: damaged UTF-16 text: an odd number of bytes", file)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	line := 1
	for i := 0; i < len(b); i += 2 {
		u := unit(b[i:], bigEndian)
		r := rune(u)
		switch {
		case utf16.IsSurrogate(r) && u < 0xDC00 && i+3 < len(b):
			r = utf16.DecodeRune(r, rune(unit(b[i+2:], bigEndian)))
			i += 2
		case utf16.IsSurrogate(r):
			r = utf8.RuneError
		}
		if r == utf8.RuneError && u != 0xFFFD {
			return "", fmt.Errorf("%s:%d: damaged UTF-16 text: a lone surrogate", file, line)
		}
		if r == '\n' {
			line++
		}
		sb.WriteRune(r)
	}
	return sb.String(), nil
}

func unit(b []byte, bigEndian bool) uint16 {
	if bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

// windows1252 holds what bytes 0x80-0x9F mean in Windows-1252; the rest of
// the code page is Latin-1, that is, the byte is the code point. The five
// bytes Windows-1252 leaves undefined map to the C1 control of the same
// number, as the WHATWG Encoding Standard does.
var windows1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

func decodeWindows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		if c >= 0x80 && c <= 0x9F {
			sb.WriteRune(windows1252[c-0x80])
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}
