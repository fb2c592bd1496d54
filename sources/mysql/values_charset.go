package mysql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// textCharset converts a text column's bytes, as the binlog holds them, to UTF-8. The
// snapshot needs none of this: its session asks the server for utf8mb4.
type textCharset struct {
	name string
	utf8 bool              // utf8mb3/utf8mb4/ascii (and unknown): the bytes are the text
	dec  encoding.Encoding // others
}

// decode returns the text of b. A nil charset is UTF-8.
func (c *textCharset) decode(b []byte) (any, error) {
	if c == nil || c.utf8 {
		return string(b), nil
	}
	if c.name == "latin1" {
		return latin1ToUTF8(b), nil
	}
	out, err := c.dec.NewDecoder().Bytes(b)
	if err != nil {
		return nil, fmt.Errorf("convert %s text to UTF-8: %w", c.name, err)
	}
	return string(out), nil
}

var (
	utf8Charset = &textCharset{name: "utf8mb4", utf8: true}
	charsets    = map[string]*textCharset{}
)

func init() {
	add := func(enc encoding.Encoding, names ...string) {
		for _, n := range names {
			charsets[n] = &textCharset{name: n, dec: enc}
		}
	}
	for _, n := range []string{"utf8", "utf8mb3", "utf8mb4", "ascii"} {
		charsets[n] = &textCharset{name: n, utf8: true}
	}
	charsets["latin1"] = &textCharset{name: "latin1"} // MySQL's latin1 is cp1252, see latin1ToUTF8
	add(charmap.ISO8859_2, "latin2")
	add(charmap.ISO8859_7, "greek")
	add(charmap.ISO8859_8, "hebrew")
	add(charmap.ISO8859_9, "latin5")
	add(charmap.ISO8859_13, "latin7")
	add(charmap.Windows1250, "cp1250")
	add(charmap.Windows1251, "cp1251")
	add(charmap.Windows1256, "cp1256")
	add(charmap.Windows1257, "cp1257")
	add(charmap.CodePage850, "cp850")
	add(charmap.CodePage852, "cp852")
	add(charmap.CodePage866, "cp866")
	add(charmap.KOI8R, "koi8r")
	add(charmap.KOI8U, "koi8u")
	add(charmap.Macintosh, "macroman")
	add(charmap.Windows874, "tis620")
	add(simplifiedchinese.GBK, "gbk", "gb2312")
	add(simplifiedchinese.GB18030, "gb18030")
	add(traditionalchinese.Big5, "big5")
	add(japanese.ShiftJIS, "sjis", "cp932")
	add(japanese.EUCJP, "ujis", "eucjpms")
	add(korean.EUCKR, "euckr")
	add(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "ucs2", "utf16")
	add(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf16le")
	add(utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf32")
}

// charsetByName returns the converter for a MySQL charset name. An empty or unknown
// name is treated as UTF-8 (the bytes pass through; invalid sequences stay as they
// are, and the sink reports them).
func charsetByName(name string) *textCharset {
	if c, ok := charsets[strings.ToLower(name)]; ok {
		return c
	}
	return utf8Charset
}

// latin1ToUTF8 converts MySQL latin1, which is Windows-1252 with the five bytes that
// code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) mapped to the C1 controls
// of the same value, exactly as the server converts it to utf8mb4.
func latin1ToUTF8(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252High[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return string(out)
}

// cp1252High maps bytes 0x80-0x9F of MySQL's latin1.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}
