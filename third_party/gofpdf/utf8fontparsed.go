package gofpdf

// Trellis fork: a UTF-8 font parsed once per process and added to many
// documents (see README.md). AddUTF8FontFromBytes parses the font file and
// hashes its 65,536 glyph widths (as JSON) for every document; a server
// that makes reports all day does the same work each time.

import (
	"errors"
	"sync"
)

// UTF8Font is a TrueType font parsed once by ParseUTF8Font, for
// AddUTF8FontParsed to add to any number of documents, from any number of
// goroutines at once.
type UTF8Font struct {
	data []byte      // the font file; never written, each document copies it
	def  fontDefType // metrics and widths; read only once parsed
	cut  *cutTables  // subsetting's reading of the file; read only

	mu  sync.Mutex
	ids map[string]string // the font's id under each font key
}

// ParseUTF8Font parses a TrueType font file, as AddUTF8FontFromBytes does,
// and keeps a copy of it.
func ParseUTF8Font(utf8Bytes []byte) (*UTF8Font, error) {
	data := append([]byte(nil), utf8Bytes...)
	// Parsed from a copy of its own: the parser only reads, but the bytes a
	// document gets are kept apart from everything else all the same.
	utf8File := newUTF8Font(&fileReader{array: append([]byte(nil), data...)})
	if err := utf8File.parseFile(); err != nil {
		return nil, err
	}
	// What subsetting reads from the file before it looks at the runes a
	// document used. A reader of its own: prepareCut would replace the
	// widths just parsed with unscaled ones.
	cut := newUTF8Font(&fileReader{array: utf8File.fileReader.array}).prepareCut()
	if cut == nil {
		return nil, errors.New("ParseUTF8Font: the font has no Unicode cmap")
	}
	return &UTF8Font{
		data: data,
		cut:  cut,
		def: fontDefType{
			Tp: "UTF8",
			Desc: FontDescType{
				Ascent:       int(utf8File.Ascent),
				Descent:      int(utf8File.Descent),
				CapHeight:    utf8File.CapHeight,
				Flags:        utf8File.Flags,
				FontBBox:     utf8File.Bbox,
				ItalicAngle:  utf8File.ItalicAngle,
				StemV:        utf8File.StemV,
				MissingWidth: round(utf8File.DefaultWidth),
			},
			Up: int(round(utf8File.UnderlinePosition)),
			Ut: round(utf8File.UnderlineThickness),
			Cw: utf8File.CharWidths,
		},
		ids: map[string]string{},
	}, nil
}

// id is generateFontID of def (whose exported fields differ from u.def in
// Name only), computed once per font key.
func (u *UTF8Font) id(def fontDefType) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if id, ok := u.ids[def.Name]; ok {
		return id, nil
	}
	id, err := generateFontID(def)
	if err == nil {
		u.ids[def.Name] = id
	}
	return id, err
}

// AddUTF8FontParsed adds font to the document under family and style, as
// AddUTF8FontFromBytes would add the bytes it was parsed from: the document
// is written byte for byte the same. The document gets its own copy of
// the font file, which it writes into while subsetting the font.
func (f *Fpdf) AddUTF8FontParsed(familyStr, styleStr string, font *UTF8Font) {
	if f.err != nil {
		return
	}
	if font == nil {
		f.err = errors.New("AddUTF8FontParsed: no font")
		return
	}
	fontkey := getFontKey(fontFamilyEscape(familyStr), styleStr)
	if _, ok := f.fonts[fontkey]; ok {
		return
	}
	def := font.def
	def.Name = fontkey
	def.utf8File = newUTF8Font(&fileReader{array: append([]byte(nil), font.data...)})
	def.utf8File.cut = font.cut
	if f.aliasNbPagesStr == "" {
		def.usedRunes = makeSubsetRange(57)
	} else {
		def.usedRunes = makeSubsetRange(32)
	}
	def.usedBits = new([1 << 16 / 64]uint64)
	id, err := font.id(def)
	if err != nil {
		f.err = err
		return
	}
	def.i = id
	f.fonts[fontkey] = def
}

// markUsed records the runes of s as used (usedRunes[r] = r, upstream's
// loop wherever text is drawn), writing the map only for a rune not yet
// recorded: the map write for every rune drawn was a tenth of a report's
// time. A set bit means the map already holds r = r, so the map ends up
// the same.
func (def *fontDefType) markUsed(s string) {
	for _, r := range s {
		c := int(r)
		if b := def.usedBits; b != nil && c >= 0 && c < 1<<16 {
			bit := uint64(1) << (uint(c) & 63)
			if b[c>>6]&bit != 0 {
				continue
			}
			b[c>>6] |= bit
		}
		def.usedRunes[c] = c
	}
}
