package transfer

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

const umlautCSV = "Organization,First Name,Last Name,Email\nGood Org,Hans,Müller,hans@good.example\nCafé Crème,Zoë,Łukasz,zoe@cafe.example\n"

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var out []byte
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// latin1 encodes s, which must be in Latin-1, one byte per rune.
func latin1(s string) []byte {
	var out []byte
	for _, r := range s {
		if r > 0xFF {
			panic("not Latin-1")
		}
		out = append(out, byte(r))
	}
	return out
}

func TestImportDecodesDetectableEncodings(t *testing.T) {
	t.Parallel()
	want := strings.ReplaceAll(umlautCSV, "Łukasz", "Lukasz") // Łukasz is not in Latin-1
	tests := []struct {
		name string
		in   []byte
		enc  Encoding
	}{
		{"UTF-8", []byte(want), EncodingAuto},
		{"UTF-8 with BOM", append([]byte("\ufeff"), want...), EncodingAuto},
		{"UTF-16LE with BOM", utf16Bytes(want, binary.LittleEndian, true), EncodingAuto},
		{"UTF-16BE with BOM", utf16Bytes(want, binary.BigEndian, true), EncodingAuto},
		{"Windows-1252 as stated", latin1(want), EncodingWindows1252},
		{"UTF-16 BOM wins over a stated Windows-1252", utf16Bytes(want, binary.LittleEndian, true), EncodingWindows1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if _, err := ImportCSV(context.Background(), s, strings.NewReader(string(tt.in)), Options{File: "in.csv", Encoding: tt.enc}); err != nil {
				t.Fatal(err)
			}
			got := allContacts(t, s)
			if c := got["Good Org/hans@good.example"]; c.LastName != "Müller" {
				t.Errorf("last name = %q, want Müller (contacts: %v)", c.LastName, got)
			}
			if c := got["Café Crème/zoe@cafe.example"]; c.FirstName != "Zoë" {
				t.Errorf("first name = %q, want Zoë", c.FirstName)
			}
		})
	}
}

// Bytes that are not UTF-8 and no stated encoding: refused, naming the line
// and the way out, never stored as U+FFFD.
func TestImportRefusesUndetectableEncoding(t *testing.T) {
	t.Parallel()
	in := latin1("Organization,First Name,Last Name,Email\nGood Org,Hans,Maier,hans@good.example\nGood Org,Jörg,Müller,j@good.example\n")
	for _, kind := range []string{"csv", "json"} {
		t.Run(kind, func(t *testing.T) {
			s := openStore(t)
			var err error
			if kind == "csv" {
				_, err = ImportCSV(context.Background(), s, strings.NewReader(string(in)), Options{File: "latin1.csv"})
			} else {
				_, err = ImportJSON(context.Background(), s, strings.NewReader(string(latin1(`{"organizations":[{"name":"Müller GmbH"}]}`))), Options{File: "latin1.json"})
			}
			if err == nil {
				t.Fatalf("import of Latin-1 bytes succeeded; contacts: %v", allContacts(t, s))
			}
			want := "latin1.csv:3: not UTF-8"
			if kind == "json" {
				want = "latin1.json:1: not UTF-8"
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--encoding windows-1252") {
				t.Errorf("error = %q, want it to name %q and suggest --encoding windows-1252", err, want)
			}
			if o, c := count(t, s); o != 0 || c != 0 {
				t.Errorf("refused import wrote %d organizations, %d contacts", o, c)
			}
		})
	}
}

func TestImportRefusesBrokenUTF16(t *testing.T) {
	t.Parallel()
	odd := utf16Bytes("Organization,Email\n", binary.LittleEndian, true)
	lone := append(utf16Bytes("Organization,Email\nA", binary.LittleEndian, true), 0x00, 0xD8) // unpaired high surrogate
	for name, in := range map[string][]byte{"odd length": odd[:len(odd)-1], "lone surrogate": lone} {
		_, err := ImportCSV(context.Background(), openStore(t), strings.NewReader(string(in)), Options{File: "u16.csv"})
		if err == nil || !strings.Contains(err.Error(), "u16.csv") || !strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("%s: ImportCSV = %v, want a UTF-16 error naming the file", name, err)
		}
	}
}

func TestParseEncoding(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"windows-1252", "Windows1252", "cp1252", "latin1", "ISO-8859-1", "ansi"} {
		if e, err := ParseEncoding(name); err != nil || e != EncodingWindows1252 {
			t.Errorf("ParseEncoding(%q) = %q, %v; want windows-1252", name, e, err)
		}
	}
	for _, name := range []string{"", "utf-8", "UTF8", "auto"} {
		if e, err := ParseEncoding(name); err != nil || e != EncodingAuto {
			t.Errorf("ParseEncoding(%q) = %q, %v; want auto", name, e, err)
		}
	}
	if _, err := ParseEncoding("ebcdic"); err == nil {
		t.Error("ParseEncoding(ebcdic) succeeded")
	}
}

func TestWindows1252Table(t *testing.T) {
	t.Parallel()
	got := decodeWindows1252([]byte{'a', 0x80, 0x8A, 0x93, 0x94, 0x9F, 0xA0, 0xE9, 0xFF, 0x81})
	if want := "a€Š“”Ÿ\u00a0éÿ\u0081"; got != want {
		t.Errorf("decodeWindows1252 = %q, want %q", got, want)
	}
}
