package m365sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// JSON batching: POST /v1.0/$batch with at most 20 requests. Items run in
// order (dependsOn is therefore always satisfied); each is throttled, faulted
// and authorised on its own, so one item can answer 429 with its own
// Retry-After while the others succeed.

type batchItemReq struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type batchItemResp struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

func (s *Server) batch(gr *graphReq) graphResp {
	if gr.method != http.MethodPost {
		return s.gerr(gr, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
	}
	var in struct {
		Requests []batchItemReq `json:"requests"`
	}
	if err := json.Unmarshal(gr.body, &in); err != nil || in.Requests == nil {
		return s.gerr(gr, 400, "BadRequest", "Invalid batch payload format.")
	}
	if len(in.Requests) > 20 {
		return s.gerr(gr, 400, "BadRequest", "Unable to deserialize batch request: the number of requests exceeds the limit of 20.")
	}
	seen := map[string]bool{}
	for _, it := range in.Requests {
		if it.ID == "" || seen[it.ID] {
			return s.gerr(gr, 400, "BadRequest", "Batch request contains duplicate or empty ids.")
		}
		seen[it.ID] = true
	}
	out := make([]batchItemResp, 0, len(in.Requests))
	for _, it := range in.Requests {
		out = append(out, s.batchItem(gr, it))
	}
	return s.gjson(200, map[string]any{"responses": out})
}

func (s *Server) batchItem(outer *graphReq, it batchItemReq) batchItemResp {
	raw := strings.TrimSpace(it.URL)
	raw = strings.TrimPrefix(raw, s.info.GraphBase)
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	u, err := url.Parse(raw)
	h := http.Header{}
	for k, v := range it.Headers {
		h.Set(k, v)
	}
	if h.Get("client-request-id") == "" {
		h.Set("client-request-id", outer.header.Get("client-request-id"))
	}
	gr := &graphReq{method: strings.ToUpper(it.Method), header: h, body: it.Body, claims: outer.claims, t: outer.t, inBatch: true}
	var resp graphResp
	endpoint := "batch item"
	if err != nil || strings.HasPrefix(raw, "/v1.0/") || strings.Contains(raw, "://") {
		resp = s.gerr(gr, 400, "BadRequest", fmt.Sprintf("Invalid request URL '%s': URLs in a batch are relative to the version, such as /users.", it.URL))
	} else {
		gr.path, gr.query = u.Path, u.Query()
		resp, endpoint = s.execGraph(gr)
	}
	s.counters.add(endpoint, outer.t.id, resp.status, true)
	item := batchItemResp{ID: it.ID, Status: resp.status, Headers: map[string]string{}}
	for k, v := range resp.header {
		if len(v) > 0 {
			item.Headers[k] = v[0]
		}
	}
	if len(resp.body) > 0 && strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") {
		item.Body = resp.body
	} else if len(resp.body) > 0 {
		b, _ := json.Marshal(string(resp.body))
		item.Body = b
	}
	if item.Status == 0 {
		item.Status = 500
		item.Headers["Retry-After"] = strconv.Itoa(1)
	}
	return item
}
