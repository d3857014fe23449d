package loadtest

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// procsSuffix is the -GOMAXPROCS suffix go test adds to benchmark names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// BenchMetrics reads the output of `go test -bench` and returns, for each
// benchmark (named without the -GOMAXPROCS suffix), its figures by unit
// ("ns/op", "ms/op", "B/op", or any unit b.ReportMetric gave). A benchmark
// that ran more than once keeps its last line.
func BenchMetrics(r io.Reader) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// Name, iterations, then value-unit pairs.
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				m = nil
				break
			}
			m[f[i+1]] = v
		}
		if m != nil {
			out[procsSuffix.ReplaceAllString(f[0], "")] = m
		}
	}
	return out, sc.Err()
}
