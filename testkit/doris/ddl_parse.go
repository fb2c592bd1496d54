package doris

import (
	"strconv"
	"strings"
)

// ddlColumnDef is a column definition as written in CREATE TABLE or ALTER TABLE.
type ddlColumnDef struct {
	name      string
	typeText  string
	typ       Type
	key       bool   // KEY keyword
	agg       string // SUM, REPLACE, … (upper case)
	nullable  int    // 0 unspecified, 1 NULL, 2 NOT NULL
	autoInc   bool
	autoStart int64 // AUTO_INCREMENT(n); 1 when not given
	hasDef    bool
	defNull   bool
	defText   string // literal text, unquoted, or the expression (CURRENT_TIMESTAMP …)
	defExpr   bool
	onUpdate  string
	hasCmt    bool
	comment   string
}

const (
	nullUnspecified = iota
	nullYes
	nullNo
)

// ddlAggTypes are Doris's aggregation types for AGGREGATE KEY value columns.
var ddlAggTypes = map[string]bool{
	"SUM": true, "MIN": true, "MAX": true, "REPLACE": true, "REPLACE_IF_NOT_NULL": true,
	"HLL_UNION": true, "BITMAP_UNION": true, "QUANTILE_UNION": true, "GENERIC": true,
}

// parseTypeText reads a column type (VARCHAR(20), DECIMAL(10, 2), ARRAY<INT> …) and
// parses it with ParseType.
func (p *sqlParser) parseColumnType(decimal256 bool) (string, Type, error) {
	start := p.i
	t := p.peek()
	if t.kind != sqlWord {
		return "", Type{}, p.errExpect("a column type")
	}
	p.next()
	if p.isPunct("(") {
		if err := p.skipBalanced(); err != nil {
			return "", Type{}, err
		}
	} else if p.isPunct("<") {
		depth := 0
		for {
			tok := p.next()
			switch {
			case tok.kind == sqlEOF:
				return "", Type{}, p.errExpect("'>'")
			case tok.kind == sqlPunct && tok.text == "<":
				depth++
			case tok.kind == sqlPunct && tok.text == ">":
				depth--
			}
			if depth == 0 {
				break
			}
		}
	}
	text := p.textFrom(start)
	typ, err := ParseType(text, decimal256)
	if err != nil {
		return text, typ, dorisErr("%s", err.Error())
	}
	return text, typ, nil
}

// parseColumnDef reads `name type [KEY] [agg] [NULL|NOT NULL] [AUTO_INCREMENT[(n)]]
// [DEFAULT …] [ON UPDATE CURRENT_TIMESTAMP[(p)]] [COMMENT '…']`.
func (p *sqlParser) parseColumnDef(decimal256 bool) (*ddlColumnDef, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	c := &ddlColumnDef{name: name, autoStart: 1}
	if c.typeText, c.typ, err = p.parseColumnType(decimal256); err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.isWord("KEY") && !c.key:
			p.next()
			c.key = true
		case t.kind == sqlWord && ddlAggTypes[strings.ToUpper(t.text)] && c.agg == "":
			p.next()
			c.agg = strings.ToUpper(t.text)
		case p.isWords("NOT", "NULL") && c.nullable == nullUnspecified:
			p.i += 2
			c.nullable = nullNo
		case t.isWord("NULL") && c.nullable == nullUnspecified:
			p.next()
			c.nullable = nullYes
		case t.isWord("AUTO_INCREMENT") && !c.autoInc:
			p.next()
			c.autoInc = true
			if p.acceptPunct("(") {
				n, err := p.intLit()
				if err != nil {
					return nil, err
				}
				if err := p.expectPunct(")"); err != nil {
					return nil, err
				}
				c.autoStart = n
			}
		case t.isWord("DEFAULT") && !c.hasDef:
			p.next()
			if err := p.parseDefault(c); err != nil {
				return nil, err
			}
		case p.isWords("ON", "UPDATE") && c.onUpdate == "":
			p.i += 2
			if !p.isWords("CURRENT_TIMESTAMP") {
				return nil, p.errExpect("'CURRENT_TIMESTAMP'")
			}
			expr, err := p.parseCurrentTimestamp()
			if err != nil {
				return nil, err
			}
			c.onUpdate = expr
		case t.isWord("COMMENT") && !c.hasCmt:
			p.next()
			if c.comment, err = p.stringLit(); err != nil {
				return nil, err
			}
			c.hasCmt = true
		default:
			return c, nil
		}
	}
}

func (p *sqlParser) parseCurrentTimestamp() (string, error) {
	p.next()
	if !p.acceptPunct("(") {
		return "CURRENT_TIMESTAMP", nil
	}
	if p.acceptPunct(")") {
		return "CURRENT_TIMESTAMP", nil
	}
	n, err := p.intLit()
	if err != nil {
		return "", err
	}
	if err := p.expectPunct(")"); err != nil {
		return "", err
	}
	return "CURRENT_TIMESTAMP(" + strconv.FormatInt(n, 10) + ")", nil
}

// parseDefault reads the value after DEFAULT.
func (p *sqlParser) parseDefault(c *ddlColumnDef) error {
	c.hasDef = true
	t := p.peek()
	switch {
	case t.isWord("NULL"):
		p.next()
		c.defNull = true
	case t.kind == sqlString:
		p.next()
		c.defText = t.text
	case t.kind == sqlNumber:
		p.next()
		c.defText = t.text
	case t.kind == sqlPunct && (t.text == "-" || t.text == "+") && p.peekAt(1).kind == sqlNumber:
		p.next()
		n := p.next()
		c.defText = n.text
		if t.text == "-" {
			c.defText = "-" + n.text
		}
	case t.isWord("CURRENT_TIMESTAMP"):
		expr, err := p.parseCurrentTimestamp()
		if err != nil {
			return err
		}
		c.defText, c.defExpr = expr, true
	case t.isWord("CURRENT_DATE"):
		p.next()
		if p.acceptPunct("(") {
			if err := p.expectPunct(")"); err != nil {
				return err
			}
		}
		c.defText, c.defExpr = "CURRENT_DATE", true
	case t.isWord("PI"), t.isWord("E"), t.isWord("BITMAP_EMPTY"):
		p.next()
		c.defText, c.defExpr = strings.ToUpper(t.text), true
	case t.isWord("TRUE"), t.isWord("FALSE"):
		p.next()
		c.defText = strings.ToLower(t.text)
	default:
		return p.errExpect("a default value")
	}
	return nil
}

// ddlCreateTable is a parsed CREATE TABLE.
type ddlCreateTable struct {
	ifNotExists bool
	db, name    string
	cols        []*ddlColumnDef
	indexes     []ddlIndexDef
	engine      string
	keysType    string // "", DUPLICATE, UNIQUE, AGGREGATE
	keys        []string
	comment     string
	partition   string // verbatim clause
	partCols    []string
	distSet     bool
	distHash    bool
	distCols    []string
	buckets     int64 // -1 AUTO
	props       [][2]string
}

type ddlIndexDef struct {
	name string
	cols []string
	text string
}

// parseCreateTable parses CREATE TABLE after the session decided the decimal256 mode.
func parseCreateTable(p *sqlParser, decimal256 bool) (*ddlCreateTable, error) {
	ct := &ddlCreateTable{buckets: ddlDefaultBuckets}
	if err := p.expectWords("CREATE"); err != nil {
		return nil, err
	}
	if p.isWords("EXTERNAL") || p.isWords("TEMPORARY") {
		return nil, unsupportedStmt(p.src)
	}
	if err := p.expectWords("TABLE"); err != nil {
		return nil, err
	}
	ct.ifNotExists = p.acceptWords("IF", "NOT", "EXISTS")
	var err error
	if ct.db, ct.name, err = p.qualifiedName(); err != nil {
		return nil, err
	}
	if p.isWords("LIKE") || p.isWords("AS") {
		return nil, unsupportedStmt(p.src)
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for {
		if p.isWords("INDEX") {
			idx, err := p.parseIndexDef()
			if err != nil {
				return nil, err
			}
			ct.indexes = append(ct.indexes, idx)
		} else {
			c, err := p.parseColumnDef(decimal256)
			if err != nil {
				return nil, err
			}
			ct.cols = append(ct.cols, c)
		}
		if p.acceptPunct(")") {
			break
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
	if p.acceptWords("ENGINE") {
		p.acceptPunct("=")
		eng, err := p.ident()
		if err != nil {
			return nil, err
		}
		ct.engine = eng
	}
	for _, kt := range []string{"DUPLICATE", "UNIQUE", "AGGREGATE"} {
		if p.acceptWords(kt, "KEY") {
			ct.keysType = kt
			if ct.keys, err = p.identList(); err != nil {
				return nil, err
			}
			break
		}
	}
	if p.isWords("CLUSTER", "BY") {
		return nil, unsupportedStmt(p.src)
	}
	if p.acceptWords("COMMENT") {
		if ct.comment, err = p.stringLit(); err != nil {
			return nil, err
		}
	}
	if p.isWords("PARTITION", "BY") || p.isWords("AUTO", "PARTITION") {
		if err := p.parsePartition(ct); err != nil {
			return nil, err
		}
	}
	if p.acceptWords("DISTRIBUTED", "BY") {
		ct.distSet = true
		switch {
		case p.acceptWords("HASH"):
			ct.distHash = true
			if ct.distCols, err = p.identList(); err != nil {
				return nil, err
			}
		case p.acceptWords("RANDOM"):
		default:
			return nil, p.errExpect("'HASH' or 'RANDOM'")
		}
		if p.acceptWords("BUCKETS") {
			if p.acceptWords("AUTO") {
				ct.buckets = -1
			} else if ct.buckets, err = p.intLit(); err != nil {
				return nil, err
			}
		}
	}
	if p.isWords("ROLLUP") {
		return nil, unsupportedStmt(p.src)
	}
	if p.acceptWords("PROPERTIES") {
		if ct.props, err = p.propertyList(); err != nil {
			return nil, err
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	return ct, nil
}

// parseIndexDef reads INDEX name (cols) [USING …] [PROPERTIES (…)] [COMMENT '…'].
func (p *sqlParser) parseIndexDef() (ddlIndexDef, error) {
	start := p.i
	p.next()
	name, err := p.ident()
	if err != nil {
		return ddlIndexDef{}, err
	}
	cols, err := p.identList()
	if err != nil {
		return ddlIndexDef{}, err
	}
	if p.acceptWords("USING") {
		if _, err := p.ident(); err != nil {
			return ddlIndexDef{}, err
		}
	}
	if p.acceptWords("PROPERTIES") {
		if _, err := p.propertyList(); err != nil {
			return ddlIndexDef{}, err
		}
	}
	if p.acceptWords("COMMENT") {
		if _, err := p.stringLit(); err != nil {
			return ddlIndexDef{}, err
		}
	}
	return ddlIndexDef{name: name, cols: cols, text: p.textFrom(start)}, nil
}

// parsePartition keeps [AUTO] PARTITION BY … verbatim and notes its columns: the
// identifiers of the first parenthesised group that are not function names.
func (p *sqlParser) parsePartition(ct *ddlCreateTable) error {
	start := p.i
	p.acceptWords("AUTO")
	if err := p.expectWords("PARTITION", "BY"); err != nil {
		return err
	}
	if !p.acceptWords("RANGE") && !p.acceptWords("LIST") {
		return p.errExpect("'RANGE' or 'LIST'")
	}
	if !p.isPunct("(") {
		return p.errExpect("'('")
	}
	groupStart := p.i
	if err := p.skipBalanced(); err != nil {
		return err
	}
	for k := groupStart; k < p.i; k++ {
		t := p.toks[k]
		if (t.kind == sqlWord || t.kind == sqlQuoted) && !(p.toks[k+1].kind == sqlPunct && p.toks[k+1].text == "(") {
			ct.partCols = append(ct.partCols, t.text)
		}
	}
	if !p.isPunct("(") {
		return p.errExpect("'('")
	}
	if err := p.skipBalanced(); err != nil {
		return err
	}
	ct.partition = p.textFrom(start)
	return nil
}
