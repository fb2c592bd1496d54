package mysql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// canonicalJSON rewrites a JSON document in the one form both paths produce: no
// whitespace, object keys in the order given (MySQL's own order: by length, then
// bytes), strings with only the escapes JSON requires, integers as written, and other
// numbers in their shortest exact form with ".0" kept on whole doubles. The server's
// text (snapshot) and go-mysql's rendering of binary JSON (stream) differ in spacing
// and number spelling; after this they are equal.
func canonicalJSON(doc []byte) (schema.JSON, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(doc))
	// Each container on the stack records whether it is an object and how many
	// tokens it has seen, to place commas and colons.
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	values := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return "", fmt.Errorf("JSON value: unexpected end")
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("JSON value: %w", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			continue
		}
		if len(stack) == 0 {
			if values++; values > 1 {
				return "", fmt.Errorf("JSON value: more than one value")
			}
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				out.WriteByte(':')
			case top.n > 0:
				out.WriteByte(',')
			}
			top.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, frame{object: t == '{'})
		case string:
			writeJSONString(&out, t)
		case json.Number:
			out.WriteString(canonicalNumber(string(t)))
		case bool:
			out.WriteString(strconv.FormatBool(t))
		case nil:
			out.WriteString("null")
		}
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("JSON value: empty document")
	}
	return schema.JSON(out.String()), nil
}

func canonicalNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s // an integer, of any size, exactly as written
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	out := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(out, ".e") {
		out += ".0"
	}
	return out
}

func writeJSONString(out *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\r':
			out.WriteString(`\r`)
		case c == '\t':
			out.WriteString(`\t`)
		case c < 0x20:
			out.WriteString(`\u00`)
			out.WriteByte(hex[c>>4])
			out.WriteByte(hex[c&0xF])
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('"')
}
