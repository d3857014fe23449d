package gofpdf

// Trellis fork: tests of the pooled zlib writers (see README.md). Run from
// the repository root with `go test github.com/jung-kurt/gofpdf`
// (`make test` does).

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"sync"
	"testing"
)

// fresh is upstream's sliceCompress: a new writer for every call.
func fresh(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// streams are inputs shaped like a PDF's: page content, a font, data that
// does not compress, long runs, nothing, and sizes around deflate's 64 KiB
// block.
func streams() map[string][]byte {
	rnd := rand.New(rand.NewSource(17))
	random := func(n int) []byte {
		b := make([]byte, n)
		rnd.Read(b)
		return b
	}
	var page strings.Builder
	for i := 0; page.Len() < 300<<10; i++ {
		fmt.Fprintf(&page, "BT %.2f %.2f Td (%s)Tj ET\n", 51.02+float64(i%7), 780.5-float64(i%90)*8.1, strings.Repeat("\x00W\x00o", 1+i%13))
	}
	return map[string][]byte{
		"empty":         nil,
		"one byte":      {'x'},
		"page content":  []byte(page.String()),
		"random 200 KB": random(200 << 10),
		"1 MB of zeros": make([]byte, 1<<20),
		"65535 bytes":   random(65535),
		"65536 bytes":   random(65536),
		"65537 bytes":   random(65537),
		"mixed":         append(append(random(40<<10), make([]byte, 90<<10)...), page.String()[:70<<10]...),
	}
}

// One writer used for stream after stream, large after small and back,
// writes what a new writer writes for each.
func TestReusedWriterCompressesLikeANewOne(t *testing.T) {
	in := streams()
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	w, err := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		for i := range names {
			name := names[i]
			if round == 1 { // the other way round
				name = names[len(names)-1-i]
			}
			if got, want := compressWith(w, in[name]), fresh(t, in[name]); !bytes.Equal(got, want) {
				t.Fatalf("round %d, %s: a reused writer wrote %d bytes unlike a new writer's %d", round, name, len(got), len(want))
			}
		}
	}
}

// Each reset moves deflate's window offset on; after about 2^31 bytes of
// it the offsets are shifted back. A writer reused that long still writes
// what a new one does (a long-lived server gets there).
func TestWriterReusedPastTheOffsetWrapCompressesLikeANewOne(t *testing.T) {
	w, err := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("BT 51.02 780.50 Td (\x00W\x00o\x00W\x00o)Tj ET\n")
	want := fresh(t, small)
	// Two resets of 32 KiB each per call: 2^31 / 2^16 calls.
	for i := 0; i < 1<<15+1000; i++ {
		if got := compressWith(w, small); !bytes.Equal(got, want) {
			t.Fatalf("call %d: a reused writer wrote %x, a new one %x", i, got, want)
		}
	}
	page := streams()["page content"]
	if !bytes.Equal(compressWith(w, page), fresh(t, page)) {
		t.Fatal("after the offsets wrapped, a reused writer compresses a page unlike a new one")
	}
}

// Documents are made at once (run under -race): each stream comes out as a
// new writer would write it and decompresses to its input.
func TestSliceCompressAtOnce(t *testing.T) {
	in := streams()
	type result struct {
		name string
		got  []byte
	}
	out := make(chan result, 8*2*len(in))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 2; k++ {
				for name, data := range in {
					out <- result{name, sliceCompress(data)}
				}
			}
		}()
	}
	wg.Wait()
	close(out)
	want := map[string][]byte{}
	for name, data := range in {
		want[name] = fresh(t, data)
	}
	n := 0
	for r := range out {
		n++
		if !bytes.Equal(r.got, want[r.name]) {
			t.Errorf("%s: compressed alongside others, unlike a new writer's", r.name)
			continue
		}
		back, err := sliceUncompress(r.got)
		if err != nil || !bytes.Equal(back, in[r.name]) {
			t.Errorf("%s: does not decompress to its input (%v)", r.name, err)
		}
	}
	if n != 8*2*len(in) {
		t.Fatalf("%d streams compressed, want %d", n, 8*2*len(in))
	}
}

// fmtBuffer.f2 writes what printf's %.2f writes.
func TestF2IsPrintfPoint2f(t *testing.T) {
	values := []float64{0, -0.0, 0.005, 0.015, 0.125, 2.675, -2.675, 1e-9, -1e-9, 841.89, -17.5, 123456789.125, 1e300, -1e300}
	values = append(values, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1))
	rnd := rand.New(rand.NewSource(2))
	for i := 0; i < 10000; i++ {
		values = append(values, (rnd.Float64()-0.5)*2000)
	}
	for _, v := range values {
		var b fmtBuffer
		b.f2(v)
		if want := fmt.Sprintf("%.2f", v); b.String() != want {
			t.Fatalf("f2(%v) = %q, printf %%.2f = %q", v, b.String(), want)
		}
	}
}
