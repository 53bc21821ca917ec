package m365sim

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	reFormAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	reHidden     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
	reErrorCode  = regexp.MustCompile(`<p id="code">([^<]*)</p>`)
)

// CompleteSignIn plays the browser for an authorize URL: it opens the URL,
// and delivers the answer to the redirect URI the way a browser would — the
// form_post page's form is POSTed (MSAL's loopback listener refuses GET),
// a 302 is followed with GET. Pass it as MSAL's WithOpenURL hook:
//
//	public.WithOpenURL(func(u string) error { return srv.CompleteSignIn(ctx, u) })
//
// Errors (an AADSTS error page, a redirect URI that refuses the answer) are
// returned.
func (s *Server) CompleteSignIn(ctx context.Context, authorizeURL string) error {
	c := s.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("open authorize URL: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var deliver *http.Request
	switch {
	case resp.StatusCode == http.StatusFound:
		deliver, err = http.NewRequestWithContext(ctx, http.MethodGet, resp.Header.Get("Location"), nil)
	case resp.StatusCode == http.StatusOK:
		m := reFormAction.FindSubmatch(body)
		if m == nil {
			return fmt.Errorf("authorize page has no form")
		}
		form := url.Values{}
		for _, h := range reHidden.FindAllSubmatch(body, -1) {
			form.Set(html.UnescapeString(string(h[1])), html.UnescapeString(string(h[2])))
		}
		deliver, err = http.NewRequestWithContext(ctx, http.MethodPost, html.UnescapeString(string(m[1])), strings.NewReader(form.Encode()))
		if deliver != nil {
			deliver.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	default:
		if m := reErrorCode.FindSubmatch(body); m != nil {
			return fmt.Errorf("sign-in failed: %s", html.UnescapeString(string(m[1])))
		}
		return fmt.Errorf("sign-in failed: authorize answered %s", resp.Status)
	}
	if err != nil {
		return err
	}
	// The loopback listener is plain HTTP on localhost and already listening
	// when MSAL calls openURL; it buffers the result for MSAL to read.
	r, err := http.DefaultClient.Do(deliver)
	if err != nil {
		return fmt.Errorf("deliver sign-in to %s: %w", deliver.URL.Redacted(), err)
	}
	defer r.Body.Close()
	io.Copy(io.Discard, r.Body)
	if r.StatusCode >= 400 {
		return fmt.Errorf("redirect URI answered %s", r.Status)
	}
	return nil
}
