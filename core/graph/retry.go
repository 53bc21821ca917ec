package graph

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
)

// WithRetryWait returns a context whose Graph requests sleep through wait
// before retrying a throttled (429) or unavailable (503, 504) answer. The
// sync engine passes a wait that lets another tenant work while this one
// sits out Retry-After.
func WithRetryWait(ctx context.Context, wait func(ctx context.Context, d time.Duration) error) context.Context {
	return context.WithValue(ctx, retryWaitKey{}, wait)
}

type retryWaitKey struct{}

// maxRetryWait bounds the time one request spends waiting to retry, as the
// SDK's retry handler does.
const maxRetryWait = 180 * time.Second

// retryHandler retries as the SDK's retry handler does: 429, 503 and 504,
// after Retry-After (seconds or an HTTP date) or else exponential backoff
// from baseDelay with up to a second of jitter, at most max times. It
// differs in one thing: it sleeps through the request context's wait
// function (WithRetryWait), so the caller knows when a request is idle.
type retryHandler struct {
	max       int
	baseDelay time.Duration
}

var _ khttp.Middleware = retryHandler{}

func (h retryHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	resp, err := p.Next(req, i)
	var waited time.Duration
	for attempt := 1; err == nil && retriable(resp.StatusCode) && attempt <= h.max && waited < maxRetryWait; attempt++ {
		rewind, ok := rewinder(req)
		if !ok {
			break
		}
		d := min(h.delay(resp, attempt), maxRetryWait-waited)
		waited += d
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err := sleep(req.Context(), d); err != nil {
			return nil, err
		}
		if err := rewind(); err != nil {
			return nil, err
		}
		req.Header.Set("Retry-Attempt", strconv.Itoa(attempt))
		resp, err = p.Next(req, i)
	}
	return resp, err
}

func retriable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// rewinder returns how to send req's body again, if it can be.
func rewinder(req *http.Request) (func() error, bool) {
	switch body := req.Body.(type) {
	case nil:
		return func() error { return nil }, true
	case io.Seeker:
		return func() error { _, err := body.Seek(0, io.SeekStart); return err }, true
	}
	if req.Body == http.NoBody {
		return func() error { return nil }, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	return func() error {
		b, err := req.GetBody()
		req.Body = b
		return err
	}, true
}

func (h retryHandler) delay(resp *http.Response, attempt int) time.Duration {
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
		return d
	}
	return h.baseDelay<<(attempt-1) + time.Duration(rand.Int64N(int64(time.Second)))
}

// parseRetryAfter reads a Retry-After value, seconds or an HTTP date, at
// most maxRetryWait.
func parseRetryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(s) || s < 0 {
			return 0, false
		}
		return time.Duration(min(s, maxRetryWait.Seconds()) * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(0, time.Until(t)), maxRetryWait), true
	}
	return 0, false
}

// sleep waits d through the context's wait function, or a timer.
func sleep(ctx context.Context, d time.Duration) error {
	if wait, ok := ctx.Value(retryWaitKey{}).(func(context.Context, time.Duration) error); ok {
		return wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
