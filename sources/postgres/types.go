package postgres

import (
	"context"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// pgType is a row of pg_type.
type pgType struct {
	name, namespace string
	typtype         string // b base, d domain, e enum, r range, m multirange, c composite, p pseudo
	category        string // A: array
	elem, base      uint32
	baseTypmod      int32
	notNull         bool // a domain's NOT NULL
	labels          []string
}

// typeRef is a type with its modifier (atttypmod; a domain's typtypmod).
type typeRef struct {
	oid    uint32
	typmod int32
}

// typeResolver turns (type oid, typmod) into a schema.SourceType. Built-in types are
// parsed from format_type, which prints them the way the mapping names them
// ("character varying(20)", "timestamp(3) with time zone"); enums, domains, arrays and
// ranges are built from pg_type, so an enum gets its labels and a domain its base type
// whatever schema they live in.
type typeResolver struct {
	s         *Source
	types     map[uint32]*pgType
	formatted map[typeRef]string
	pending   map[typeRef]bool
}

func newTypeResolver(s *Source) *typeResolver {
	return &typeResolver{s: s, types: map[uint32]*pgType{}, formatted: map[typeRef]string{}, pending: map[typeRef]bool{}}
}

// need records a type a column uses.
func (r *typeResolver) need(oid uint32, typmod int32) { r.pending[typeRef{oid, typmod}] = true }

// load reads every needed type, following domains to their bases and arrays to their
// elements, then formats the built-in ones.
func (r *typeResolver) load(ctx context.Context) error {
	refs := map[typeRef]bool{}
	for len(r.pending) > 0 {
		var missing []uint32
		for ref := range r.pending {
			if r.types[ref.oid] == nil {
				missing = append(missing, ref.oid)
			}
		}
		if err := r.readTypes(ctx, missing); err != nil {
			return err
		}
		next := map[typeRef]bool{}
		for ref := range r.pending {
			refs[ref] = true
			t := r.types[ref.oid]
			if t == nil {
				continue
			}
			var follow []typeRef
			switch {
			case t.typtype == "d":
				follow = append(follow, typeRef{t.base, t.baseTypmod})
			case t.category == "A" && t.elem != 0:
				follow = append(follow, typeRef{t.elem, ref.typmod})
			}
			for _, f := range follow {
				if !refs[f] {
					next[f] = true
				}
			}
		}
		r.pending = next
	}
	var builtins []typeRef
	for ref := range refs {
		if t := r.types[ref.oid]; t != nil && t.builtinBase() {
			builtins = append(builtins, ref)
		}
	}
	return r.format(ctx, builtins)
}

func (t *pgType) builtinBase() bool {
	return t.typtype == "b" && t.namespace == "pg_catalog" && t.category != "A"
}

func (r *typeResolver) readTypes(ctx context.Context, list []uint32) error {
	if len(list) == 0 {
		return nil
	}
	rows, err := r.s.conn.Query(ctx, `SELECT t.oid, t.typname::text, n.nspname::text, t.typtype::text, t.typcategory::text,
		t.typelem, t.typbasetype, t.typtypmod, t.typnotnull,
		ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = ANY($1::oid[])`, list)
	if err != nil {
		return r.s.queryError("read types", err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid uint32
		t := &pgType{}
		if err := rows.Scan(&oid, &t.name, &t.namespace, &t.typtype, &t.category, &t.elem, &t.base, &t.baseTypmod,
			&t.notNull, &t.labels); err != nil {
			return r.s.queryError("read types", err)
		}
		r.types[oid] = t
	}
	if err := rows.Err(); err != nil {
		return r.s.queryError("read types", err)
	}
	return nil
}

// format runs format_type for the built-in types in one query.
func (r *typeResolver) format(ctx context.Context, refs []typeRef) error {
	if len(refs) == 0 {
		return nil
	}
	typeOIDs := make([]uint32, len(refs))
	typmods := make([]int32, len(refs))
	for i, ref := range refs {
		typeOIDs[i], typmods[i] = ref.oid, ref.typmod
	}
	rows, err := r.s.conn.Query(ctx, `SELECT x.o, x.m, format_type(x.o, x.m)
		FROM unnest($1::oid[], $2::int4[]) AS x(o, m)`, typeOIDs, typmods)
	if err != nil {
		return r.s.queryError("format types", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref typeRef
		var text string
		if err := rows.Scan(&ref.oid, &ref.typmod, &text); err != nil {
			return r.s.queryError("format types", err)
		}
		r.formatted[ref] = text
	}
	if err := rows.Err(); err != nil {
		return r.s.queryError("format types", err)
	}
	return nil
}

// resolve returns the source type of (oid, typmod) and whether a domain on the way
// forbids NULL. Every level carries the database encoding, which sizes text types.
func (r *typeResolver) resolve(oid uint32, typmod int32) (schema.SourceType, bool) {
	t := r.types[oid]
	if t == nil {
		return schema.SourceType{Name: "unknown", Charset: r.s.encoding}, false
	}
	st := schema.SourceType{Name: strings.ToLower(t.name), Charset: r.s.encoding}
	notNull := false
	switch {
	case t.typtype == "d":
		base, baseNotNull := r.resolve(t.base, t.baseTypmod)
		st.Base = &base
		notNull = t.notNull || baseNotNull
	case t.typtype == "e":
		st.EnumValues = t.labels
	case t.category == "A" && t.elem != 0:
		elem, _ := r.resolve(t.elem, typmod)
		st = schema.SourceType{Name: "array", Elem: &elem, Charset: r.s.encoding}
	case t.typtype == "r" && !strings.HasSuffix(st.Name, "range"):
		st.Name = "range" // a user-defined range type: mapped like every range
	case t.typtype == "m" && !strings.HasSuffix(st.Name, "multirange"):
		st.Name = "multirange"
	case t.builtinBase():
		if text, ok := r.formatted[typeRef{oid, typmod}]; ok {
			if parsed, err := schema.ParseType(text); err == nil {
				st = parsed
				st.Charset = r.s.encoding
			}
		}
	}
	return st, notNull
}
