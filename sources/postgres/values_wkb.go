package postgres

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// decodeEWKB turns PostGIS output (hex EWKB, what geometry and geography print) into
// WKT as ST_AsText writes it: "POINT(1 2)", "POLYGON Z ((…))"; the SRID is dropped.
// Curved and polyhedral types, which the sink has no use for beyond text, keep their
// hex EWKB so no value is lost.
func decodeEWKB(b []byte) (any, error) {
	raw := make([]byte, len(b)/2)
	if _, err := hex.Decode(raw, b); err != nil {
		return nil, fmt.Errorf("geometry: not hex EWKB: %w", err)
	}
	r := wkbReader{b: raw}
	out, err := r.geometry(nil, true, "")
	if errors.Is(err, errWKBUnsupported) {
		return string(b), nil
	}
	if err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	if r.i != len(raw) {
		return nil, errors.New("geometry: trailing bytes after the EWKB value")
	}
	return string(out), nil
}

var errWKBUnsupported = errors.New("unsupported WKB geometry type")

type wkbReader struct {
	b     []byte
	i     int
	order binary.ByteOrder
}

func (r *wkbReader) need(n int) error {
	if r.i+n > len(r.b) {
		return errors.New("truncated EWKB value")
	}
	return nil
}

func (r *wkbReader) uint32() (uint32, error) {
	if err := r.need(4); err != nil {
		return 0, err
	}
	v := r.order.Uint32(r.b[r.i:])
	r.i += 4
	return v, nil
}

func (r *wkbReader) float() (float64, error) {
	if err := r.need(8); err != nil {
		return 0, err
	}
	v := math.Float64frombits(r.order.Uint64(r.b[r.i:]))
	r.i += 8
	return v, nil
}

var wkbNames = map[uint32]string{
	1: "POINT", 2: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT", 5: "MULTILINESTRING",
	6: "MULTIPOLYGON", 7: "GEOMETRYCOLLECTION",
}

// geometry appends one geometry. Members of MULTI* types print without their type
// name; members of a GEOMETRYCOLLECTION (parent) and the outermost value print it.
func (r *wkbReader) geometry(out []byte, withName bool, parent string) ([]byte, error) {
	if err := r.need(1); err != nil {
		return nil, err
	}
	switch r.b[r.i] {
	case 0:
		r.order = binary.BigEndian
	case 1:
		r.order = binary.LittleEndian
	default:
		return nil, fmt.Errorf("bad byte order %d", r.b[r.i])
	}
	r.i++
	typ, err := r.uint32()
	if err != nil {
		return nil, err
	}
	hasZ, hasM := typ&0x80000000 != 0, typ&0x40000000 != 0
	if typ&0x20000000 != 0 { // SRID follows
		if _, err := r.uint32(); err != nil {
			return nil, err
		}
	}
	base := typ & 0x0fffffff
	// ISO WKB spells dimensions as thousands: 1001 is POINT Z, 3001 POINT ZM.
	switch base / 1000 {
	case 1:
		hasZ = true
	case 2:
		hasM = true
	case 3:
		hasZ, hasM = true, true
	}
	base %= 1000
	name, ok := wkbNames[base]
	if !ok {
		return nil, errWKBUnsupported
	}
	dims := 2
	if hasZ {
		dims++
	}
	if hasM {
		dims++
	}
	if withName || parent == "GEOMETRYCOLLECTION" {
		out = append(out, name...)
		switch {
		case hasZ && hasM:
			out = append(out, " ZM "...)
		case hasZ:
			out = append(out, " Z "...)
		case hasM:
			out = append(out, " M "...)
		}
	}
	switch base {
	case 1:
		start := len(out)
		out = append(out, '(')
		out, empty, err := r.coords(out, dims)
		if err != nil {
			return nil, err
		}
		if empty {
			return emptyGeometry(out[:start]), nil
		}
		return append(out, ')'), nil
	case 2:
		return r.pointList(out, dims)
	case 3:
		return r.ringList(out, dims)
	}
	n, err := r.uint32()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return emptyGeometry(out), nil
	}
	out = append(out, '(')
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			out = append(out, ',')
		}
		if base == 4 {
			// MULTIPOINT(1 2,3 4): the members' own type headers carry nothing we print.
			if err := r.skipHeader(); err != nil {
				return nil, err
			}
			if out, _, err = r.coords(out, dims); err != nil {
				return nil, err
			}
			continue
		}
		if out, err = r.geometry(out, false, name); err != nil {
			return nil, err
		}
	}
	return append(out, ')'), nil
}

func emptyGeometry(out []byte) []byte {
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return append(out, " EMPTY"...)
}

func (r *wkbReader) skipHeader() error {
	if err := r.need(5); err != nil {
		return err
	}
	switch r.b[r.i] {
	case 0:
		r.order = binary.BigEndian
	case 1:
		r.order = binary.LittleEndian
	default:
		return fmt.Errorf("bad byte order %d", r.b[r.i])
	}
	r.i++
	typ, err := r.uint32()
	if err != nil {
		return err
	}
	if typ&0x20000000 != 0 {
		_, err = r.uint32()
	}
	return err
}

// coords appends one coordinate tuple "x y[ z[ m]]"; an all-NaN point is EMPTY.
func (r *wkbReader) coords(out []byte, dims int) ([]byte, bool, error) {
	empty := true
	for d := 0; d < dims; d++ {
		f, err := r.float()
		if err != nil {
			return nil, false, err
		}
		if !math.IsNaN(f) {
			empty = false
		}
		if d > 0 {
			out = append(out, ' ')
		}
		out = strconv.AppendFloat(out, f, 'f', -1, 64)
	}
	return out, empty, nil
}

func (r *wkbReader) pointList(out []byte, dims int) ([]byte, error) {
	n, err := r.uint32()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return emptyGeometry(out), nil
	}
	if err := r.need(int(n) * dims * 8); err != nil {
		return nil, err
	}
	out = append(out, '(')
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			out = append(out, ',')
		}
		if out, _, err = r.coords(out, dims); err != nil {
			return nil, err
		}
	}
	return append(out, ')'), nil
}

func (r *wkbReader) ringList(out []byte, dims int) ([]byte, error) {
	n, err := r.uint32()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return emptyGeometry(out), nil
	}
	out = append(out, '(')
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			out = append(out, ',')
		}
		if out, err = r.pointList(out, dims); err != nil {
			return nil, err
		}
	}
	return append(out, ')'), nil
}
