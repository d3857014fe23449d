// Package pdfdoc reads back the PDFs that gofpdf writes, for tests: each
// page's drawing operators and the embedded font each piece of text is
// shown in, so a test can check what pdftotext cannot (which font drew a
// character, whether that font has a glyph for it, which dash patterns a
// chart's lines use). It understands gofpdf's output (uncompressed object
// dictionaries, Flate-compressed streams, UTF-8 fonts embedded as Type0
// Identity-H with the code point as the CID), not PDF in general. Like
// testkit/debian it imports nothing of Trellis, so reports' own tests can
// use it.
package pdfdoc

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"golang.org/x/image/font/sfnt"
)

// Doc is a parsed PDF.
type Doc struct {
	Pages []Page
	// Fonts by resource name, as content streams select them with Tf.
	Fonts map[string]*Font
}

// Font is one embedded font.
type Font struct {
	Name    string // BaseFont, e.g. "utf8dejavuB"
	Program []byte // the embedded TrueType program (FontFile2), a subset
	face    *sfnt.Font
}

// Page is one page's content stream as operators.
type Page struct {
	Ops []Op
}

// Op is one content-stream operator with its operands.
type Op struct {
	Name string
	Args []Operand
}

// Operand is a number, name, string or array.
type Operand struct {
	Num   float64
	Name  string // without the slash
	Str   []byte // a string's bytes, escapes resolved
	Array []Operand
	Kind  byte // 'n' number, '/' name, 's' string, '[' array
}

// Text is one string shown on a page, with the font it is shown in.
type Text struct {
	Font  *Font
	Size  float64
	Runes []rune
	X, Y  float64 // where the text object put it (points, from the bottom left)
}

var (
	objStartRe = regexp.MustCompile(`(\d+) 0 obj\s*`)
	lengthRe   = regexp.MustCompile(`/Length (\d+)`)
	refRe      = func(key string) *regexp.Regexp { return regexp.MustCompile(key + ` \[?(\d+) 0 R`) }
	kidsRe     = regexp.MustCompile(`/Kids \[([^\]]*)\]`)
	fontDictRe = regexp.MustCompile(`(?s)/Font <<(.*?)>>`)
	fontRefRe  = regexp.MustCompile(`/(\S+) (\d+) 0 R`)
	baseFontRe = regexp.MustCompile(`/BaseFont /(\S+)`)
	contentsRe = refRe("/Contents")
	descRe     = refRe("/DescendantFonts")
	fdRe       = refRe("/FontDescriptor")
	ff2Re      = refRe("/FontFile2")
)

type object struct {
	dict   []byte
	stream []byte // decompressed, nil when the object has none
}

// Parse reads pdf.
func Parse(pdf []byte) (*Doc, error) {
	objs := map[string]object{}
	// Objects are read one after the other, a stream skipped by its
	// /Length: binary stream data may contain "endobj" by chance.
	pos := 0
	for {
		m := objStartRe.FindSubmatchIndex(pdf[pos:])
		if m == nil {
			break
		}
		num := string(pdf[pos+m[2] : pos+m[3]])
		body := pos + m[1]
		end := bytes.Index(pdf[body:], []byte("endobj"))
		if end < 0 {
			return nil, fmt.Errorf("object %s has no endobj", num)
		}
		o := object{dict: pdf[body : body+end]}
		pos = body + end + len("endobj")
		if i := bytes.Index(o.dict, []byte("stream")); i >= 0 && bytes.HasPrefix(bytes.TrimSpace(o.dict), []byte("<<")) {
			o.dict = pdf[body : body+i]
			lm := lengthRe.FindSubmatch(o.dict)
			if lm == nil {
				return nil, fmt.Errorf("object %s: a stream without /Length", num)
			}
			n, _ := strconv.Atoi(string(lm[1]))
			start := body + i + len("stream")
			if start < len(pdf) && pdf[start] == '\r' {
				start++
			}
			if start < len(pdf) && pdf[start] == '\n' {
				start++
			}
			if start+n > len(pdf) {
				return nil, fmt.Errorf("object %s: stream runs past the end", num)
			}
			raw := pdf[start : start+n]
			o.stream = raw
			if bytes.Contains(o.dict, []byte("/FlateDecode")) {
				zr, err := zlib.NewReader(bytes.NewReader(raw))
				if err != nil {
					return nil, fmt.Errorf("object %s: %w", num, err)
				}
				if o.stream, err = io.ReadAll(zr); err != nil {
					return nil, fmt.Errorf("object %s: %w", num, err)
				}
			}
			e := bytes.Index(pdf[start+n:], []byte("endobj"))
			if e < 0 {
				return nil, fmt.Errorf("object %s has no endobj after its stream", num)
			}
			pos = start + n + e + len("endobj")
		}
		objs[num] = o
	}

	doc := &Doc{Fonts: map[string]*Font{}}
	ref := func(re *regexp.Regexp, in []byte) (object, bool) {
		m := re.FindSubmatch(in)
		if m == nil {
			return object{}, false
		}
		o, ok := objs[string(m[1])]
		return o, ok
	}
	for _, o := range objs {
		fd := fontDictRe.FindSubmatch(o.dict)
		if fd == nil || !bytes.Contains(o.dict, []byte("/ProcSet")) {
			continue
		}
		for _, m := range fontRefRe.FindAllSubmatch(fd[1], -1) {
			f := &Font{}
			top := objs[string(m[2])]
			if b := baseFontRe.FindSubmatch(top.dict); b != nil {
				f.Name = string(b[1])
			}
			if cid, ok := ref(descRe, top.dict); ok {
				if desc, ok := ref(fdRe, cid.dict); ok {
					if prog, ok := ref(ff2Re, desc.dict); ok {
						f.Program = prog.stream
					}
				}
			}
			doc.Fonts[string(m[1])] = f
		}
	}

	// Pages in the order of the page tree's /Kids.
	for _, o := range objs {
		if !bytes.Contains(o.dict, []byte("/Type /Pages")) {
			continue
		}
		km := kidsRe.FindSubmatch(o.dict)
		if km == nil {
			return nil, fmt.Errorf("the page tree has no /Kids")
		}
		for _, k := range regexp.MustCompile(`(\d+) 0 R`).FindAllSubmatch(km[1], -1) {
			page, ok := objs[string(k[1])]
			if !ok {
				return nil, fmt.Errorf("page object %s missing", k[1])
			}
			c, ok := ref(contentsRe, page.dict)
			if !ok {
				return nil, fmt.Errorf("page object %s has no contents", k[1])
			}
			ops, err := parseContent(c.stream)
			if err != nil {
				return nil, fmt.Errorf("page %d: %w", len(doc.Pages)+1, err)
			}
			doc.Pages = append(doc.Pages, Page{Ops: ops})
		}
	}
	if len(doc.Pages) == 0 {
		return nil, fmt.Errorf("no pages found")
	}
	return doc, nil
}

// Texts returns every string the page shows (Tj), with the font selected
// at that point (Tf persists across text objects and is restored by Q).
func (d *Doc) Texts(p Page) ([]Text, error) {
	type state struct {
		font *Font
		size float64
	}
	var (
		cur   state
		stack []state
		out   []Text
		x, y  float64
	)
	for _, op := range p.Ops {
		switch op.Name {
		case "q":
			stack = append(stack, cur)
		case "Q":
			if len(stack) > 0 {
				cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "Tf":
			if len(op.Args) != 2 {
				return nil, fmt.Errorf("operator Tf with %d operands", len(op.Args))
			}
			f, ok := d.Fonts[op.Args[0].Name]
			if !ok {
				return nil, fmt.Errorf("operator Tf selects /%s, which the resources do not name", op.Args[0].Name)
			}
			cur = state{font: f, size: op.Args[1].Num}
		case "BT":
			x, y = 0, 0
		case "Td":
			if len(op.Args) == 2 {
				x, y = x+op.Args[0].Num, y+op.Args[1].Num
			}
		case "Tj":
			if len(op.Args) != 1 || op.Args[0].Kind != 's' {
				return nil, fmt.Errorf("operator Tj without a string")
			}
			if cur.font == nil {
				return nil, fmt.Errorf("text shown before any font was selected")
			}
			b := op.Args[0].Str
			if len(b)%2 != 0 {
				return nil, fmt.Errorf("a UTF-16 string of odd length")
			}
			rs := make([]rune, 0, len(b)/2)
			for i := 0; i < len(b); i += 2 {
				rs = append(rs, rune(b[i])<<8|rune(b[i+1]))
			}
			out = append(out, Text{Font: cur.font, Size: cur.size, Runes: rs, X: x, Y: y})
		case "TJ":
			return nil, fmt.Errorf("operator TJ is not expected from gofpdf's cells")
		}
	}
	return out, nil
}

// HasGlyph reports whether the font's embedded program maps r to a glyph
// other than .notdef (sfnt GlyphIndex ≠ 0).
func (f *Font) HasGlyph(r rune) (bool, error) {
	if f.face == nil {
		if len(f.Program) == 0 {
			return false, fmt.Errorf("font %s has no embedded TrueType program", f.Name)
		}
		face, err := sfnt.Parse(f.Program)
		if err != nil {
			return false, fmt.Errorf("font %s: %w", f.Name, err)
		}
		f.face = face
	}
	var buf sfnt.Buffer
	g, err := f.face.GlyphIndex(&buf, r)
	if err != nil {
		return false, fmt.Errorf("font %s: %w", f.Name, err)
	}
	return g != 0, nil
}

// Glyphless returns, for each font by BaseFont name, the distinct runes the
// document shows in that font although its embedded program has no glyph
// for them: each would print as an empty box. Spaces are included: a
// font without a space glyph leaves a gap pdftotext cannot see either.
func (d *Doc) Glyphless() (map[string][]rune, error) {
	out := map[string][]rune{}
	seen := map[*Font]map[rune]bool{}
	for _, p := range d.Pages {
		texts, err := d.Texts(p)
		if err != nil {
			return nil, err
		}
		for _, t := range texts {
			if seen[t.Font] == nil {
				seen[t.Font] = map[rune]bool{}
			}
			for _, r := range t.Runes {
				if seen[t.Font][r] {
					continue
				}
				seen[t.Font][r] = true
				ok, err := t.Font.HasGlyph(r)
				if err != nil {
					return nil, err
				}
				if !ok {
					out[t.Font.Name] = append(out[t.Font.Name], r)
				}
			}
		}
	}
	return out, nil
}

// ShownIn returns, by BaseFont name, the distinct runes shown in each font
// in order of first appearance.
func (d *Doc) ShownIn() (map[string][]rune, error) {
	out := map[string][]rune{}
	seen := map[string]map[rune]bool{}
	for _, p := range d.Pages {
		texts, err := d.Texts(p)
		if err != nil {
			return nil, err
		}
		for _, t := range texts {
			n := t.Font.Name
			if seen[n] == nil {
				seen[n] = map[rune]bool{}
			}
			for _, r := range t.Runes {
				if !seen[n][r] {
					seen[n][r] = true
					out[n] = append(out[n], r)
				}
			}
		}
	}
	return out, nil
}

// parseContent splits a content stream into operators.
func parseContent(s []byte) ([]Op, error) {
	var (
		ops   []Op
		args  []Operand
		stack [][]Operand // open arrays
	)
	push := func(o Operand) {
		if n := len(stack); n > 0 {
			stack[n-1] = append(stack[n-1], o)
		} else {
			args = append(args, o)
		}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '%':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '(':
			str, n, err := literal(s[i:])
			if err != nil {
				return nil, err
			}
			push(Operand{Kind: 's', Str: str})
			i += n
		case c == '<' && i+1 < len(s) && s[i+1] != '<':
			j := bytes.IndexByte(s[i:], '>')
			if j < 0 {
				return nil, fmt.Errorf("unterminated hex string")
			}
			hex := bytes.Map(func(r rune) rune {
				if isSpace(byte(r)) {
					return -1
				}
				return r
			}, s[i+1:i+j])
			if len(hex)%2 == 1 {
				hex = append(hex, '0')
			}
			str := make([]byte, len(hex)/2)
			for k := range str {
				v, err := strconv.ParseUint(string(hex[2*k:2*k+2]), 16, 8)
				if err != nil {
					return nil, fmt.Errorf("bad hex string: %w", err)
				}
				str[k] = byte(v)
			}
			push(Operand{Kind: 's', Str: str})
			i += j + 1
		case c == '[':
			stack = append(stack, []Operand{})
			i++
		case c == ']':
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced ]")
			}
			arr := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			push(Operand{Kind: '[', Array: arr})
			i++
		case c == '/':
			j := i + 1
			for j < len(s) && !isSpace(s[j]) && !isDelim(s[j]) {
				j++
			}
			push(Operand{Kind: '/', Name: string(s[i+1 : j])})
			i = j
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && !isDelim(s[j]) {
				j++
			}
			if j == i { // a delimiter we do not expect in gofpdf's output
				return nil, fmt.Errorf("unexpected %q", c)
			}
			tok := string(s[i:j])
			i = j
			if v, err := strconv.ParseFloat(tok, 64); err == nil {
				push(Operand{Kind: 'n', Num: v})
				continue
			}
			if len(stack) > 0 {
				return nil, fmt.Errorf("operator %s inside an array", tok)
			}
			ops = append(ops, Op{Name: tok, Args: args})
			args = nil
		}
	}
	return ops, nil
}

// literal reads a (string) at the start of s, returning its bytes and the
// length consumed.
func literal(s []byte) ([]byte, int, error) {
	var out []byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, i + 1, nil
			}
			out = append(out, c)
		case '\\':
			i++
			if i >= len(s) {
				return nil, 0, fmt.Errorf("string ends in a backslash")
			}
			switch e := s[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r', '\n': // a line continuation
				if e == '\r' && i+1 < len(s) && s[i+1] == '\n' {
					i++
				}
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for k < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7' {
						v = v*8 + int(s[i]-'0')
						i++
						k++
					}
					i--
					out = append(out, byte(v))
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
	}
	return nil, 0, fmt.Errorf("unterminated string")
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%'
}

// Path is one stroked path (S) with the graphics state it was stroked in.
type Path struct {
	Colour [3]float64 // stroke colour, RGB 0–1
	Width  float64    // line width, points
	Dash   []float64  // dash array, points; empty for solid
	Points [][2]float64
}

// Paths returns the page's stroked paths built of m and l segments, in the
// order drawn.
func Paths(p Page) []Path {
	type state struct {
		colour [3]float64
		width  float64
		dash   []float64
	}
	var (
		cur   = state{width: 1}
		stack []state
		pts   [][2]float64
		out   []Path
	)
	for _, op := range p.Ops {
		switch op.Name {
		case "q":
			stack = append(stack, cur)
		case "Q":
			if len(stack) > 0 {
				cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "RG":
			if len(op.Args) == 3 {
				cur.colour = [3]float64{op.Args[0].Num, op.Args[1].Num, op.Args[2].Num}
			}
		case "G":
			if len(op.Args) == 1 {
				v := op.Args[0].Num
				cur.colour = [3]float64{v, v, v}
			}
		case "w":
			if len(op.Args) == 1 {
				cur.width = op.Args[0].Num
			}
		case "d":
			if len(op.Args) == 2 {
				cur.dash = nil
				for _, a := range op.Args[0].Array {
					cur.dash = append(cur.dash, a.Num)
				}
			}
		case "m":
			if len(op.Args) == 2 {
				pts = [][2]float64{{op.Args[0].Num, op.Args[1].Num}}
			}
		case "l":
			if len(op.Args) == 2 && pts != nil {
				pts = append(pts, [2]float64{op.Args[0].Num, op.Args[1].Num})
			}
		case "S":
			if len(pts) > 1 {
				out = append(out, Path{Colour: cur.colour, Width: cur.width, Dash: cur.dash, Points: pts})
			}
			pts = nil
		case "n", "f", "F", "B", "b", "f*", "B*", "s", "re", "h", "c", "v", "y":
			pts = nil // not a polyline this test reader follows
		}
	}
	return out
}
