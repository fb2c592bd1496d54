package ddl

import "github.com/doris-sync/doris-sync/schema"

// mapMySQL maps MySQL and MariaDB types (docs/type-mapping.md, "MySQL and MariaDB").
func mapMySQL(st schema.SourceType, opts MapOptions) Mapping {
	switch st.Name {
	case "bit":
		// BIT(1) is a flag; wider BITs are bit fields whose value is an unsigned integer
		// (the anchor turned every BIT into BOOLEAN and lost the value).
		switch n := lengthOr(st, 1); {
		case n <= 1:
			return mapped(Boolean)
		case n <= 63:
			return mapped(BigInt)
		default:
			return mapped(LargeInt)
		}
	case "bool", "boolean":
		return mapped(Boolean)
	case "tinyint", "int1":
		if st.HasLength && st.Length == 1 && !st.Unsigned && !opts.TinyInt1AsTinyInt {
			return mapped(Boolean)
		}
		if st.Unsigned {
			return mapped(SmallInt)
		}
		return mapped(TinyInt)
	case "smallint", "int2":
		if st.Unsigned {
			return mapped(Int)
		}
		return mapped(SmallInt)
	case "mediumint", "middleint", "int3":
		return mapped(Int) // even unsigned: at most 16777215
	case "int", "integer", "int4":
		if st.Unsigned {
			return mapped(BigInt)
		}
		return mapped(Int)
	case "bigint", "int8":
		if st.Unsigned {
			return mapped(LargeInt)
		}
		return mapped(BigInt)
	case "serial": // BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
		return mapped(LargeInt)
	case "float", "float4":
		// FLOAT(p) with p > 24 is a DOUBLE; FLOAT(M,D) stays single precision.
		if st.HasPrecision && !st.HasScale && st.Precision > 24 {
			return mapped(Double)
		}
		return mapped(Float)
	case "double", "double precision", "real", "float8":
		return mapped(Double)
	case "decimal", "numeric", "dec", "fixed":
		p, s := 10, 0 // MySQL's default DECIMAL is DECIMAL(10,0)
		if st.HasPrecision {
			p = st.Precision
		}
		if st.HasScale {
			s = st.Scale
		}
		return mapped(decimalType(p, s, opts))
	case "date":
		return Mapping{Type: Date, ForceNullable: true}
	case "datetime", "timestamp":
		return Mapping{Type: dateTimeType(st, 0), ForceNullable: true}
	case "time":
		return mapped(String) // Doris cannot store TIME; values may exceed 24 h anyway
	case "year":
		return mapped(SmallInt)
	case "char", "character", "nchar", "national char", "national character":
		return mapped(textType(lengthOr(st, 1), bytesPerCharUnit(st, 3), true))
	case "varchar", "character varying", "nvarchar", "national varchar", "national character varying", "char varying":
		if !st.HasLength {
			return mapped(String)
		}
		return mapped(textType(st.Length, bytesPerCharUnit(st, 3), false))
	case "tinytext", "text", "mediumtext", "longtext", "long", "long varchar":
		return mapped(String)
	case "enum":
		if len(st.EnumValues) == 0 {
			return Mapping{Type: String, Warning: "enum without labels: mapped to STRING"}
		}
		return mapped(labelsType(st.EnumValues, false))
	case "set":
		if len(st.EnumValues) == 0 {
			return Mapping{Type: String, Warning: "set without labels: mapped to STRING"}
		}
		return mapped(labelsType(st.EnumValues, true))
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "long varbinary":
		return mapped(String)
	case "json":
		return mapped(JSON)
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return mapped(String) // as WKT text
	case "uuid": // MariaDB 10.7+
		return mapped(uuidType)
	case "inet4": // MariaDB 10.10+
		return mapped(Varchar(15))
	case "inet6":
		return mapped(Varchar(45))
	}
	return Mapping{}
}
