package doris

import (
	"strings"
)

// sqlParser is a cursor over the tokens of one statement with the small helpers the
// hand-written recursive-descent parsers share.
type sqlParser struct {
	src  string
	toks []sqlToken
	i    int
}

func newSQLParser(src string) (*sqlParser, error) {
	toks, err := sqlTokenize(src)
	if err != nil {
		return nil, err
	}
	return &sqlParser{src: src, toks: toks}, nil
}

// sqlReserved are the words Doris refuses as bare identifiers; they must be backquoted.
var sqlReserved = map[string]bool{
	"ADD": true, "ALTER": true, "AND": true, "AS": true, "BY": true, "COLUMN": true, "CREATE": true,
	"DATABASE": true, "DEFAULT": true, "DELETE": true, "DESC": true, "DESCRIBE": true,
	"DISTRIBUTED": true, "DROP": true, "DUPLICATE": true, "EXISTS": true, "FROM": true, "GROUP": true,
	"HAVING": true, "IF": true, "IN": true, "INDEX": true, "INSERT": true, "INTO": true, "IS": true,
	"JOIN": true, "KEY": true, "LIKE": true, "LIMIT": true, "MODIFY": true, "NOT": true, "NULL": true,
	"ON": true, "OR": true, "ORDER": true, "PARTITION": true, "PRIMARY": true, "PROPERTIES": true,
	"RENAME": true, "SELECT": true, "SET": true, "SHOW": true, "TABLE": true, "TO": true,
	"TRUNCATE": true, "UNION": true, "UNIQUE": true, "UPDATE": true, "USE": true, "VALUES": true,
	"WHERE": true, "AGGREGATE": true,
}

func (p *sqlParser) peek() sqlToken { return p.toks[p.i] }

func (p *sqlParser) peekAt(n int) sqlToken {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *sqlParser) next() sqlToken {
	t := p.toks[p.i]
	if t.kind != sqlEOF {
		p.i++
	}
	return t
}

// isWords reports whether the next tokens are the given bare keywords.
func (p *sqlParser) isWords(words ...string) bool {
	for k, w := range words {
		if !p.peekAt(k).isWord(w) {
			return false
		}
	}
	return true
}

// acceptWords consumes the given keyword sequence if it comes next.
func (p *sqlParser) acceptWords(words ...string) bool {
	if !p.isWords(words...) {
		return false
	}
	p.i += len(words)
	return true
}

func (p *sqlParser) expectWords(words ...string) error {
	for _, w := range words {
		if !p.peek().isWord(w) {
			return p.errExpect("'" + strings.ToUpper(w) + "'")
		}
		p.i++
	}
	return nil
}

func (p *sqlParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == sqlPunct && t.text == s
}

func (p *sqlParser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *sqlParser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.errExpect("'" + s + "'")
	}
	return nil
}

// errExpect is the syntax error for an unexpected next token.
func (p *sqlParser) errExpect(what string) error {
	t := p.peek()
	return sqlSyntaxError(p.src, t.pos, "mismatched input '"+t.describe()+"' expecting "+what)
}

// ident reads an identifier: a backquoted name or a bare word that is not reserved.
func (p *sqlParser) ident() (string, error) {
	t := p.peek()
	switch {
	case t.kind == sqlQuoted:
		p.i++
		return t.text, nil
	case t.kind == sqlWord && !sqlReserved[strings.ToUpper(t.text)]:
		p.i++
		return t.text, nil
	}
	return "", p.errExpect("an identifier")
}

// qualifiedName reads [db.]name (an optional leading "internal." catalog is dropped).
func (p *sqlParser) qualifiedName() (db, name string, err error) {
	first, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if !p.acceptPunct(".") {
		return "", first, nil
	}
	second, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if !p.acceptPunct(".") {
		return first, second, nil
	}
	third, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if !strings.EqualFold(first, "internal") {
		return "", "", dorisErr("Unknown catalog '%s'", first)
	}
	return second, third, nil
}

// identList reads "(a, b, …)".
func (p *sqlParser) identList() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		id, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, id)
		if p.acceptPunct(")") {
			return out, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *sqlParser) stringLit() (string, error) {
	t := p.peek()
	if t.kind != sqlString {
		return "", p.errExpect("a string literal")
	}
	p.i++
	return t.text, nil
}

// intLit reads a non-negative integer literal.
func (p *sqlParser) intLit() (int64, error) {
	t := p.peek()
	if t.kind != sqlNumber {
		return 0, p.errExpect("an integer")
	}
	var n int64
	for _, c := range t.text {
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0, p.errExpect("an integer")
		}
		n = n*10 + int64(c-'0')
	}
	p.i++
	return n, nil
}

// atEnd reports whether only an optional trailing semicolon is left.
func (p *sqlParser) atEnd() bool {
	if p.isPunct(";") && p.peekAt(1).kind == sqlEOF {
		return true
	}
	return p.peek().kind == sqlEOF
}

func (p *sqlParser) expectEnd() error {
	if p.atEnd() {
		return nil
	}
	return p.errExpect("<EOF>")
}

// skipBalanced consumes tokens until depth returns to zero; the next token must be "(".
func (p *sqlParser) skipBalanced() error {
	if err := p.expectPunct("("); err != nil {
		return err
	}
	depth := 1
	for depth > 0 {
		t := p.next()
		switch {
		case t.kind == sqlEOF:
			return p.errExpect("')'")
		case t.kind == sqlPunct && t.text == "(":
			depth++
		case t.kind == sqlPunct && t.text == ")":
			depth--
		}
	}
	return nil
}

// textFrom returns the source text from token index start up to the current token.
func (p *sqlParser) textFrom(start int) string {
	if start >= p.i {
		return ""
	}
	return p.src[p.toks[start].pos:p.toks[p.i-1].end]
}

// properties reads PROPERTIES ("k" = "v", …) after the keyword.
func (p *sqlParser) propertyList() ([][2]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var props [][2]string
	if p.acceptPunct(")") {
		return props, nil
	}
	for {
		k, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		v, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		props = sqlSetProp(props, k, v)
		if p.acceptPunct(")") {
			return props, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

// sqlSetProp replaces or appends a property, keeping first-seen order.
func sqlSetProp(props [][2]string, k, v string) [][2]string {
	for i := range props {
		if props[i][0] == k {
			props[i][1] = v
			return props
		}
	}
	return append(props, [2]string{k, v})
}

// sqlGetProp returns a property value and whether it is set.
func sqlGetProp(props [][2]string, k string) (string, bool) {
	for _, kv := range props {
		if kv[0] == k {
			return kv[1], true
		}
	}
	return "", false
}
