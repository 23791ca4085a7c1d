// Package formattest holds what the tests of the formats and the import
// share: the demo records as fuzz seeds, the AlignX sample, and what a
// parsed signal must satisfy. It imports no database.
package formattest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/popi-tui/popi-tui/store/signal"
)

// AddDemoSeeds adds the first records of the demo data to a fuzz corpus.
func AddDemoSeeds(f *testing.F) {
	_, here, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "demo", "demo.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 8<<20)
	for i := 0; sc.Scan() && i < 12; i++ {
		f.Add(append([]byte(nil), sc.Bytes()...))
	}
}

// CheckSignal fails the test unless s is a signal an import may store:
// valid ids and kind, the checks every format's records pass, and meta a
// JSON object on one line.
func CheckSignal(t *testing.T, s *signal.Signal) {
	t.Helper()
	if why := signal.CheckID(s.User); why != "" {
		t.Fatalf("accepted user %q that %s", s.User, why)
	}
	if why := signal.CheckID(s.ID); why != "" {
		t.Fatalf("accepted id %q that %s", s.ID, why)
	}
	if s.Kind < signal.KindPair || s.Kind > signal.KindTask {
		t.Fatalf("accepted kind %d", s.Kind)
	}
	if err := signal.Check(s); err != nil {
		t.Fatalf("accepted a record that fails validation: %v", err)
	}
	if s.Meta != nil {
		var m map[string]any
		if err := json.Unmarshal(s.Meta, &m); err != nil {
			t.Fatalf("meta %q is not a JSON object: %v", s.Meta, err)
		}
		if bytes.ContainsAny(s.Meta, "\n\r") {
			t.Fatalf("meta %q spans lines", s.Meta)
		}
	}
}

// AlignXSample is the real AlignX sample the project is tested with. It
// lives outside the repository (POPI_ALIGNX_SAMPLE, or shared/data beside
// the clone); without it the test is skipped with a message, except under
// CI, where its absence is a failure.
func AlignXSample(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(here), "..", "..", "..")
	candidates := []string{os.Getenv("POPI_ALIGNX_SAMPLE"), filepath.Join(repo, "..", "shared", "data", "alignx-psoups-friendly-unfriendly.json")}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("the AlignX sample is missing (looked in %q); under CI it must be present (set POPI_ALIGNX_SAMPLE)", candidates)
	}
	t.Skipf("the AlignX sample is not here (looked in %q); set POPI_ALIGNX_SAMPLE to run this test", candidates)
	return ""
}
