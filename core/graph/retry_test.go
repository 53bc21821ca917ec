package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
)

// Retries honour Retry-After through the context's wait, resend a POST body
// (compressed by the SDK's middleware below) unchanged, and give up after
// max retries with the last answer.
func TestRetryHonoursRetryAfterThroughWait(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	answers := []int{429, 503, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := io.Reader(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip body: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		mu.Lock()
		n := len(bodies)
		bodies = append(bodies, string(b))
		mu.Unlock()
		status := 429
		if n < len(answers) {
			status = answers[n]
		}
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(status)
	}))
	defer srv.Close()
	client := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(http.DefaultTransport,
		retryHandler{max: 3, baseDelay: 2 * time.Second}, khttp.NewCompressionHandler())}

	var waits []time.Duration
	ctx := WithRetryWait(t.Context(), func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	})
	post := func() *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytes.NewReader([]byte(`{"requests":[1,2,3]}`)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	if resp := post(); resp.StatusCode != 200 {
		t.Fatalf("status = %d, want 200 after two retries", resp.StatusCode)
	}
	if len(waits) != 2 || waits[0] != 2*time.Second || waits[1] != 2*time.Second {
		t.Errorf("waits = %v, want [2s 2s] from Retry-After", waits)
	}
	for i, b := range bodies {
		if b != `{"requests":[1,2,3]}` {
			t.Errorf("attempt %d sent body %q, want the original", i+1, b)
		}
	}

	waits, bodies = nil, nil
	answers = nil // always 429
	if resp := post(); resp.StatusCode != 429 {
		t.Fatalf("status = %d, want the last 429 after giving up", resp.StatusCode)
	}
	if len(bodies) != 4 || len(waits) != 3 {
		t.Errorf("%d attempts, %d waits; want 4 attempts (3 retries), 3 waits", len(bodies), len(waits))
	}
	if !strings.Contains(bodies[3], "requests") {
		t.Errorf("last retry sent %q", bodies[3])
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"3600", maxRetryWait, true},
		{"1e12", maxRetryWait, true},
		{"+Inf", maxRetryWait, true},
		{"NaN", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, true},
	} {
		got, ok := parseRetryAfter(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
