package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"time"
)

// signInTimeout bounds the wait for the browser's sign-in; tests shorten it.
var signInTimeout = 5 * time.Minute

// loopback receives the authorization code that the identity platform posts
// (response_mode=form_post) to http://localhost:PORT after sign-in.
//
// Any local process or web page can post to the port, so a post counts only
// when it carries this sign-in's state, which the loopback knows from the
// start: others are answered at once with an error page and the wait goes
// on. The right post may come before wait begins (the browser is quick);
// it is kept for wait.
type loopback struct {
	srv    *http.Server
	ln     net.Listener
	state  string
	result chan loopbackPost // the post that belongs to the sign-in
}

type loopbackPost struct {
	code, state, err, desc string
}

// belongs reports whether p is the sign-in's answer: its state, and a code
// or an error.
func (p loopbackPost) belongs(state string) bool {
	return p.state == state && (p.code != "" || p.err != "")
}

// listenLoopback listens for the sign-in that carries state.
func listenLoopback(port int, state string) (*loopback, error) {
	if state == "" {
		return nil, errors.New("sign-in without a state")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sign-in on port %d: %w (another program uses it: pick another redirect port and register http://localhost:PORT for it)", port, err)
	}
	lb := &loopback{ln: ln, state: state, result: make(chan loopbackPost, 1)}
	// The browser sends one small form at once; a client that trickles
	// must not hold a connection for the whole sign-in.
	lb.srv = &http.Server{
		Handler:           http.HandlerFunc(lb.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go lb.srv.Serve(ln)
	return lb, nil
}

// maxFormBytes bounds a posted form; Microsoft's are a few kilobytes.
const maxFormBytes = 64 << 10

func (lb *loopback) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		// Only the identity platform's form_post carries a code; a GET is
		// a browser probing the port (favicon) or a stale tab.
		http.Error(w, "tenantsync is waiting for the Microsoft sign-in to post its result here.", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable sign-in response", http.StatusBadRequest)
		return
	}
	p := loopbackPost{code: r.PostForm.Get("code"), state: r.PostForm.Get("state"), err: r.PostForm.Get("error"), desc: r.PostForm.Get("error_description")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case !p.belongs(lb.state):
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, donePage, "Not this sign-in", "This answer does not belong to the sign-in tenantsync is waiting for, so it was ignored.")
		return
	case p.err != "":
		fmt.Fprintf(w, donePage, "Sign-in failed", html.EscapeString(p.desc))
	default:
		fmt.Fprintf(w, donePage, "Signed in", "You can close this tab and return to tenantsync.")
	}
	select {
	case lb.result <- p:
	default: // a second valid answer: the first one counts
	}
}

const donePage = `<!doctype html><html><head><meta charset="utf-8"><title>tenantsync</title></head>
<body style="font-family:sans-serif;margin:4em"><h1>%s</h1><p>%s</p></body></html>`

// wait blocks until the post with the sign-in's state arrives (or has
// arrived), ctx ends or signInTimeout passes.
func (lb *loopback) wait(ctx context.Context) (string, error) {
	limit := time.NewTimer(signInTimeout)
	defer limit.Stop()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("sign-in did not finish: %w", ctx.Err())
	case <-limit.C:
		return "", fmt.Errorf("no sign-in within %s: start the sign-in again and finish it in the browser", inWords(signInTimeout))
	case p := <-lb.result:
		return p.outcome()
	}
}

// outcome is the code of a post that belongs to the sign-in, or its error.
func (p loopbackPost) outcome() (string, error) {
	if p.err != "" {
		return "", fmt.Errorf("sign-in: %w", Classify(errors.New(p.err+": "+p.desc)))
	}
	return p.code, nil
}

// inWords says d as a person would: "5 minutes", not "5m0s".
func inWords(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d > time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func (lb *loopback) close() { lb.srv.Close() }

// newPKCE returns a code verifier and its S256 challenge (RFC 7636).
func newPKCE() (verifier, challenge string) {
	verifier = randomString(48)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
