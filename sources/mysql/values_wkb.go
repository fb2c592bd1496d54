package mysql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// geometryToWKT turns a MySQL geometry value (4-byte little-endian SRID, then WKB)
// into WKT: POINT(1 2), LINESTRING(0 0,1 1), POLYGON((…),(…)), MULTIPOINT((1 1),(2 2)),
// MULTILINESTRING(…), MULTIPOLYGON(…), GEOMETRYCOLLECTION(…) and the EMPTY forms.
// The SRID is not part of WKT and is dropped.
func geometryToWKT(b []byte) (string, error) {
	if len(b) < 4+5 {
		return "", fmt.Errorf("geometry value of %d bytes is too short", len(b))
	}
	r := wkbReader{buf: b[4:]}
	var out strings.Builder
	if err := r.geometry(&out, 0); err != nil {
		return "", fmt.Errorf("geometry: %w", err)
	}
	if len(r.buf) != 0 {
		return "", fmt.Errorf("geometry: %d bytes after the WKB", len(r.buf))
	}
	return out.String(), nil
}

const (
	wkbPoint = iota + 1
	wkbLineString
	wkbPolygon
	wkbMultiPoint
	wkbMultiLineString
	wkbMultiPolygon
	wkbGeometryCollection
)

var wkbNames = [...]string{"", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"}

var errWKBShort = errors.New("WKB ends early")

type wkbReader struct {
	buf   []byte
	order binary.ByteOrder
}

func (r *wkbReader) header() (uint32, error) {
	if len(r.buf) < 5 {
		return 0, errWKBShort
	}
	switch r.buf[0] {
	case 0:
		r.order = binary.BigEndian
	case 1:
		r.order = binary.LittleEndian
	default:
		return 0, fmt.Errorf("bad WKB byte order %d", r.buf[0])
	}
	t := r.order.Uint32(r.buf[1:5])
	r.buf = r.buf[5:]
	return t, nil
}

func (r *wkbReader) uint32() (uint32, error) {
	if len(r.buf) < 4 {
		return 0, errWKBShort
	}
	n := r.order.Uint32(r.buf)
	r.buf = r.buf[4:]
	// Every element takes at least 8 bytes, so a count beyond that is corrupt data,
	// not a reason to allocate.
	if uint64(n) > uint64(len(r.buf)) {
		return 0, fmt.Errorf("WKB count %d exceeds the %d bytes left", n, len(r.buf))
	}
	return n, nil
}

func (r *wkbReader) point(out *strings.Builder) error {
	if len(r.buf) < 16 {
		return errWKBShort
	}
	x := math.Float64frombits(r.order.Uint64(r.buf))
	y := math.Float64frombits(r.order.Uint64(r.buf[8:]))
	r.buf = r.buf[16:]
	out.WriteString(wktNumber(x))
	out.WriteByte(' ')
	out.WriteString(wktNumber(y))
	return nil
}

// points writes "x y,x y,…" (a line string's or ring's points).
func (r *wkbReader) points(out *strings.Builder) error {
	n, err := r.uint32()
	if err != nil {
		return err
	}
	out.WriteByte('(')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := r.point(out); err != nil {
			return err
		}
	}
	out.WriteByte(')')
	return nil
}

func (r *wkbReader) rings(out *strings.Builder) error {
	n, err := r.uint32()
	if err != nil {
		return err
	}
	out.WriteByte('(')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := r.points(out); err != nil {
			return err
		}
	}
	out.WriteByte(')')
	return nil
}

// geometry writes one geometry with its type name.
func (r *wkbReader) geometry(out *strings.Builder, depth int) error {
	if depth > 32 {
		return errors.New("geometry collections nested too deeply")
	}
	t, err := r.header()
	if err != nil {
		return err
	}
	if t < wkbPoint || t > wkbGeometryCollection {
		return fmt.Errorf("unknown WKB geometry type %d", t)
	}
	out.WriteString(wkbNames[t])
	if t == wkbPoint {
		out.WriteByte('(')
		if err := r.point(out); err != nil {
			return err
		}
		out.WriteByte(')')
		return nil
	}
	if t == wkbLineString {
		return r.points(out)
	}
	if t == wkbPolygon {
		return r.rings(out)
	}
	n, err := r.uint32()
	if err != nil {
		return err
	}
	if n == 0 {
		out.WriteString(" EMPTY")
		return nil
	}
	out.WriteByte('(')
	for i := uint32(0); i < n; i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if t == wkbGeometryCollection {
			if err := r.geometry(out, depth+1); err != nil {
				return err
			}
			continue
		}
		// The members of a MULTI* geometry are whole WKB geometries of the single type.
		mt, err := r.header()
		if err != nil {
			return err
		}
		if mt != t-3 {
			return fmt.Errorf("%s holds a WKB geometry of type %d", wkbNames[t], mt)
		}
		switch mt {
		case wkbPoint:
			out.WriteByte('(')
			if err := r.point(out); err != nil {
				return err
			}
			out.WriteByte(')')
		case wkbLineString:
			err = r.points(out)
		case wkbPolygon:
			err = r.rings(out)
		}
		if err != nil {
			return err
		}
	}
	out.WriteByte(')')
	return nil
}

// wktNumber prints a coordinate in its shortest exact form, in plain notation for
// the magnitudes maps use.
func wktNumber(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
