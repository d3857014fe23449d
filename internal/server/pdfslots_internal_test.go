package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// PDFs are made a few at a time: with every slot taken, a request waits
// (bounded by its deadline) and then answers 503, and once a slot frees
// the next one is made.
func TestPDFsAreMadeAFewAtATimeAndABurstGets503(t *testing.T) {
	s := newBareServer(t, io.Discard)
	release := make(chan struct{})
	started := make(chan struct{}, 64)
	s.handle(http.MethodGet, "/pdf", public, func(c *gin.Context) error {
		return s.renderPDF(c, "test.pdf", func(w io.Writer) error {
			started <- struct{}{}
			<-release
			_, err := io.WriteString(w, "%PDF-1.4 test")
			return err
		})
	})
	slots := cap(s.pdfSlots)
	if slots < 1 {
		t.Fatalf("%d PDF slots", slots)
	}
	var wg sync.WaitGroup
	codes := make(chan int, slots)
	for range slots {
		wg.Go(func() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/pdf", nil))
			codes <- w.Code
		})
	}
	for range slots {
		<-started
	}

	// Every slot is taken: one more waits out its deadline and is told to
	// try again.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/pdf", nil).WithContext(ctx))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("with every slot taken: status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	select {
	case <-started:
		t.Error("a PDF was made beyond the slots")
	default:
	}

	close(release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusOK {
			t.Errorf("a PDF in a slot answered %d", code)
		}
	}
	// The slots are free again.
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/pdf", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("after the burst: status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
}
