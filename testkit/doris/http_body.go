package doris

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// countingReader counts the bytes received (LoadBytes is the wire size).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decompressor wraps the body per compress_type; "deflate" is zlib-framed, as zlib's
// inflate (which Doris uses) expects by default.
func decompressor(r io.Reader, compress string) (io.Reader, error) {
	switch compress {
	case "gz":
		return gzip.NewReader(r)
	case "bz2":
		return bzip2.NewReader(r), nil
	case "deflate":
		return zlib.NewReader(r)
	}
	return r, nil
}

// record is one input row: its source text (for the error log) and its fields, or a
// reason when the record itself is malformed.
type record struct {
	src    string
	fields []SourceField
	bad    string
}

// csvRecords splits a CSV body into records of nsrc fields.
func csvRecords(data []byte, h *loadHeaders, nsrc int, emit func(record)) {
	skip := h.skipLines
	if h.csvHeaderLines > 0 {
		skip = h.csvHeaderLines
	}
	splitCSV(data, h, func(line []byte, parts [][]byte) {
		if skip > 0 {
			skip--
			return
		}
		rec := record{src: string(line)}
		if len(parts) != nsrc {
			cmp := "less than"
			if len(parts) > nsrc {
				cmp = "more than"
			}
			rec.bad = fmt.Sprintf("actual column number in csv file is  %s  schema column number.actual number: %d, column separator: [%s], line delimiter: [%s], schema column number: %d; ",
				cmp, len(parts), h.colSep, h.lineDelim, nsrc)
			emit(rec)
			return
		}
		rec.fields = make([]SourceField, nsrc)
		for i, p := range parts {
			if h.trimDoubleQuotes && len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
				p = p[1 : len(p)-1]
			}
			switch {
			case string(p) == `\N`:
				rec.fields[i] = SourceField{Null: true}
			case len(p) == 0 && h.emptyFieldAsNull:
				rec.fields[i] = SourceField{Null: true}
			default:
				rec.fields[i] = SourceField{Text: string(p)}
			}
		}
		emit(rec)
	})
}

// splitCSV calls emit for every non-empty line with its fields. With an enclose
// character, separators and line delimiters inside enclosed fields are data, the
// enclose characters are removed and the escape character protects the next byte.
func splitCSV(data []byte, h *loadHeaders, emit func(line []byte, fields [][]byte)) {
	if !h.hasEnclose {
		for len(data) > 0 {
			var line []byte
			if i := bytes.Index(data, h.lineDelim); i >= 0 {
				line, data = data[:i], data[i+len(h.lineDelim):]
			} else {
				line, data = data, nil
			}
			if len(line) > 0 {
				emit(line, bytes.Split(line, h.colSep))
			}
		}
		return
	}
	pos := 0
	for pos < len(data) {
		start := pos
		var fields [][]byte
		cur := []byte{}
		inQuote, fieldStart := false, true
		for pos < len(data) {
			c := data[pos]
			if inQuote {
				switch {
				case h.hasEscape && c == h.escape && pos+1 < len(data):
					cur = append(cur, data[pos+1])
					pos += 2
				case c == h.enclose:
					inQuote = false
					pos++
				default:
					cur = append(cur, c)
					pos++
				}
				continue
			}
			if fieldStart && c == h.enclose {
				inQuote, fieldStart = true, false
				pos++
				continue
			}
			if bytes.HasPrefix(data[pos:], h.lineDelim) {
				break
			}
			if bytes.HasPrefix(data[pos:], h.colSep) {
				fields = append(fields, cur)
				cur, fieldStart = []byte{}, true
				pos += len(h.colSep)
				continue
			}
			cur = append(cur, c)
			fieldStart = false
			pos++
		}
		line := data[start:pos]
		if pos < len(data) {
			pos += len(h.lineDelim)
		}
		if len(line) > 0 {
			emit(line, append(fields, cur))
		}
	}
}

// jsonRecords parses a JSON body the way the BE's JSON reader does (simple mode:
// keys matched to source names exactly; jsonpaths mode: fields by position). Every
// malformed document or element is one filtered record.
func jsonRecords(data []byte, h *loadHeaders, p *loadPlan, emit func(record)) {
	doc := func(text []byte) {
		raw, err := parseOneJSON(text)
		if err != nil {
			emit(record{src: string(text), bad: "Parse json data for JsonDoc failed. code: 1, error info: " + err.Error()})
			return
		}
		if raw[0] != '{' && raw[0] != '[' {
			emit(record{src: string(text), bad: "Not an json object or json array"})
			return
		}
		// json_root applies to an object document, or else to each element of a
		// top-level array.
		rootPerElement := raw[0] == '[' && p.jsonRoot != nil
		if raw[0] == '{' && p.jsonRoot != nil {
			root, ok := extractJSONPath(raw, p.jsonRoot)
			if !ok {
				emit(record{src: compactJSON(raw), bad: "JSON Root not found."})
				return
			}
			raw = root
		}
		isArray := raw[0] == '['
		switch {
		case isArray && !h.stripOuterArray:
			emit(record{src: compactJSON(raw), bad: "JSON data is array-object, `strip_outer_array` must be TRUE."})
			return
		case !isArray && h.stripOuterArray:
			emit(record{src: compactJSON(raw), bad: "JSON data is not an array-object, `strip_outer_array` must be FALSE."})
			return
		case !isArray:
			emit(p.jsonRow(raw))
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			emit(record{src: compactJSON(raw), bad: "Parse json data for JsonDoc failed. code: 1, error info: " + err.Error()})
			return
		}
		if len(elems) == 0 {
			emit(record{src: "", bad: "Empty json line"})
			return
		}
		for _, e := range elems {
			e = bytes.TrimSpace(e)
			if rootPerElement && len(e) > 0 && e[0] == '{' {
				root, ok := extractJSONPath(e, p.jsonRoot)
				if !ok {
					emit(record{src: compactJSON(e), bad: "JSON Root not found."})
					continue
				}
				e = root
			}
			emit(p.jsonRow(e))
		}
	}
	if !h.jsonByLine {
		if len(bytes.TrimSpace(data)) > 0 {
			doc(data)
		}
		return
	}
	for len(data) > 0 {
		var line []byte
		if i := bytes.Index(data, h.lineDelim); i >= 0 {
			line, data = data[:i], data[i+len(h.lineDelim):]
		} else {
			line, data = data, nil
		}
		if len(line) > 0 {
			doc(line)
		}
	}
}

// jsonRow turns one JSON value into a record of the plan's sources.
func (p *loadPlan) jsonRow(raw json.RawMessage) record {
	rec := record{src: compactJSON(raw)}
	if len(raw) == 0 || raw[0] != '{' {
		rec.bad = "Expect json object value"
		return rec
	}
	rec.fields = make([]SourceField, len(p.sources))
	matched := false
	if p.jsonPaths != nil {
		for i := range rec.fields {
			rec.fields[i] = SourceField{Missing: true}
			if i < len(p.jsonPaths) {
				if v, ok := extractJSONPath(raw, p.jsonPaths[i]); ok {
					rec.fields[i] = jsonField(v)
					matched = true
				}
			}
		}
		if !matched {
			rec.bad = "All fields is null or not matched, this is a invalid row."
		}
		return rec
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		rec.bad = "Parse json data for JsonDoc failed. code: 1, error info: " + err.Error()
		return rec
	}
	for i, src := range p.sources {
		v, ok := obj[src.name]
		if !ok {
			rec.fields[i] = SourceField{Missing: true}
			continue
		}
		rec.fields[i] = jsonField(v)
		matched = true
	}
	if !matched {
		rec.bad = "All fields is null, this is a invalid row."
	}
	return rec
}

// parseOneJSON validates that text holds exactly one JSON value and returns it.
func parseOneJSON(text []byte) (json.RawMessage, error) {
	text = bytes.TrimPrefix(text, []byte("\xEF\xBB\xBF")) // simdjson path trims a BOM
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing content after the JSON document")
	}
	return bytes.TrimSpace(raw), nil
}

func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func jsonUnmarshalStrict(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing content")
	}
	return nil
}

// pathStep is one step of a jsonpath: an object key or an array index.
type pathStep struct {
	key   string
	index int
	isIdx bool
}

// parseJSONPath parses the jsonpath subset loaders use: $, .key, ['key'], ["key"], [n].
func parseJSONPath(path string) ([]pathStep, error) {
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "$") {
		return nil, errors.New("must start with $")
	}
	steps := []pathStep{}
	rest := path[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 || rest[:end] == "*" {
				return nil, errors.New("unsupported step")
			}
			steps = append(steps, pathStep{key: rest[:end]})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, errors.New("unclosed [")
			}
			inner := strings.TrimSpace(rest[1:end])
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				steps = append(steps, pathStep{key: inner[1 : len(inner)-1]})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, errors.New("unsupported index " + inner)
			}
			steps = append(steps, pathStep{index: n, isIdx: true})
		default:
			return nil, errors.New("unexpected " + string(rest[0]))
		}
	}
	return steps, nil
}

func extractJSONPath(raw json.RawMessage, steps []pathStep) (json.RawMessage, bool) {
	cur := raw
	for _, st := range steps {
		if st.isIdx {
			var arr []json.RawMessage
			if json.Unmarshal(cur, &arr) != nil || st.index >= len(arr) {
				return nil, false
			}
			cur = arr[st.index]
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil, false
		}
		v, ok := obj[st.key]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return bytes.TrimSpace(cur), true
}

// countRecords counts rows without parsing values (Options.Discard): non-empty lines
// for CSV and line-delimited JSON, elements for a JSON array, one for a JSON document.
func countRecords(r io.Reader, h *loadHeaders) (int64, error) {
	if h.format == "json" && !h.jsonByLine {
		dec := json.NewDecoder(r)
		tok, err := dec.Token()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return 1, nil
		}
		var n int64
		for dec.More() {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}
	skip := int64(0)
	if h.format == "csv" {
		skip = int64(h.skipLines)
		if h.csvHeaderLines > 0 {
			skip = int64(h.csvHeaderLines)
		}
	}
	var n int64
	if len(h.lineDelim) == 1 {
		br := bufio.NewReaderSize(r, 256<<10)
		delim := h.lineDelim[0]
		inLine := false
		for {
			chunk, err := br.ReadSlice(delim)
			if len(chunk) > 0 {
				body := len(chunk)
				if chunk[len(chunk)-1] == delim && err == nil {
					body--
				}
				if body > 0 {
					inLine = true
				}
				if err == nil {
					if inLine {
						n++
					}
					inLine = false
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if inLine {
					n++
				}
				break
			}
			if err != nil {
				return 0, err
			}
		}
	} else {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		for _, line := range bytes.Split(data, h.lineDelim) {
			if len(line) > 0 {
				n++
			}
		}
	}
	if n -= skip; n < 0 {
		n = 0
	}
	return n, nil
}
