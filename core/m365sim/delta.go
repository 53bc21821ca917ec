package m365sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Delta query on users (GET /users/delta and /users/delta()).
//
// A first round without a token pages through every current user and ends
// with an @odata.deltaLink. A round started from a deltaLink returns what
// changed since: added users in full, changed users with their id and the
// changed (selected) properties only — Graph promises "at least" those, so
// the strict form keeps clients honest — and removed users as
// {"id", "@removed": {"reason": "changed"}} (soft delete, restorable) or
// "deleted" (permanently deleted). $deltaToken=latest returns no users and a
// deltaLink for now. Links older than DeltaTokenLifetime (7 days, as for
// directory objects) or from before Control.ExpireDeltaTokens answer
// Options.DeltaExpiredStatus (410 by default) with syncStateNotFound.

type deltaState struct {
	Kind   string   `json:"k"` // "init" page, "chg" page, "delta" link
	Tenant string   `json:"t"`
	Gen    int      `json:"g"`
	From   int64    `json:"v"`
	To     int64    `json:"e,omitempty"`
	Offset int      `json:"o,omitempty"`
	Select []string `json:"s,omitempty"`
	Issued int64    `json:"i"`
}

func queryAny(gr *graphReq, names ...string) string {
	for k, v := range gr.query {
		for _, n := range names {
			if strings.EqualFold(k, n) && len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

func (s *Server) deltaLinkFor(st deltaState, param string) string {
	return s.info.GraphBase + "/users/delta()?" + param + "=" + s.sign(st)
}

func (s *Server) deltaGone(gr *graphReq) graphResp {
	return s.gerr(gr, s.opt.DeltaExpiredStatus, "syncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
}

func (s *Server) usersDelta(gr *graphReq) graphResp {
	for k := range gr.query {
		switch strings.ToLower(k) {
		case "$select", "$deltatoken", "$skiptoken":
		case "$top", "$orderby", "$expand", "$search", "$count", "$filter":
			return s.gerr(gr, 400, "Request_UnsupportedQuery", fmt.Sprintf("The query parameter '%s' is not supported with change tracking over the 'Users' resource.", k))
		}
	}
	size := 200
	if p := gr.header.Get("Prefer"); p != "" {
		for _, part := range strings.Split(p, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "odata.maxpagesize="); ok {
				if n, err := strconv.Atoi(v); err == nil && n >= 1 {
					size = min(n, 999)
				}
			}
		}
	}
	t := gr.t
	now := s.now()
	dtok, stok := queryAny(gr, "$deltatoken"), queryAny(gr, "$skiptoken")
	var st deltaState
	switch {
	case strings.EqualFold(dtok, "latest"):
		props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
		if bad != nil {
			return *bad
		}
		t.mu.Lock()
		st = deltaState{Kind: "delta", Tenant: t.id, Gen: t.deltaGen, From: t.version, Select: props, Issued: now.Unix()}
		t.mu.Unlock()
		return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#users", "value": []any{},
			"@odata.deltaLink": s.deltaLinkFor(st, "$deltatoken")})
	case dtok != "" || stok != "":
		tok := dtok
		if tok == "" {
			tok = stok
		}
		if err := s.verify(tok, &st); err != nil || st.Tenant != t.id {
			return s.deltaGone(gr)
		}
		if dtok != "" && st.Kind != "delta" || stok != "" && st.Kind == "delta" {
			return s.deltaGone(gr)
		}
	default:
		props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
		if bad != nil {
			return *bad
		}
		t.mu.Lock()
		st = deltaState{Kind: "init", Tenant: t.id, Gen: t.deltaGen, From: t.version, Select: props, Issued: now.Unix()}
		t.mu.Unlock()
	}
	if slices.Contains(st.Select, "signInActivity") {
		return s.gerr(gr, 400, "Request_UnsupportedQuery", "Property 'signInActivity' is not supported with change tracking.")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if st.Gen != t.deltaGen || now.Sub(time.Unix(st.Issued, 0)) > s.opt.DeltaTokenLifetime {
		return s.deltaGone(gr)
	}
	value := []any{}
	body := map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#users"}
	switch st.Kind {
	case "init":
		n := t.userCountLocked()
		i := st.Offset
		for ; i < n && len(value) < size; i++ {
			if u := t.userLocked(i); u != nil {
				value = append(value, userJSON(u, st.Select))
			}
		}
		if i < n {
			next := st
			next.Offset = i
			body["@odata.nextLink"] = s.deltaLinkFor(next, "$skiptoken")
		} else {
			body["@odata.deltaLink"] = s.deltaLinkFor(deltaState{Kind: "delta", Tenant: t.id, Gen: t.deltaGen, From: st.From, Select: st.Select, Issued: now.Unix()}, "$deltatoken")
		}
	case "delta", "chg":
		to := st.To
		if st.Kind == "delta" {
			to = t.version
		}
		order, fields := t.changedBetweenLocked(st.From, to)
		i := st.Offset
		for ; i < len(order) && len(value) < size; i++ {
			if item := t.deltaItemLocked(order[i], fields[order[i]], st.Select); item != nil {
				value = append(value, item)
			}
		}
		if i < len(order) {
			body["@odata.nextLink"] = s.deltaLinkFor(deltaState{Kind: "chg", Tenant: t.id, Gen: t.deltaGen, From: st.From, To: to, Offset: i, Select: st.Select, Issued: st.Issued}, "$skiptoken")
		} else {
			body["@odata.deltaLink"] = s.deltaLinkFor(deltaState{Kind: "delta", Tenant: t.id, Gen: t.deltaGen, From: to, Select: st.Select, Issued: now.Unix()}, "$deltatoken")
		}
	default:
		return s.deltaGone(gr)
	}
	body["value"] = value
	return s.gjson(200, body)
}

// changedBetweenLocked lists user indices changed in (from, to], in order
// of first change, with the union of changed fields.
func (t *tenant) changedBetweenLocked(from, to int64) ([]int, map[int]uint64) {
	order, fields := t.changedSinceLocked(from)
	if to >= t.version {
		return order, fields
	}
	// Drop changes after `to`: recompute over the bounded range.
	fields = map[int]uint64{}
	order = order[:0]
	for _, c := range t.changes {
		if c.ver <= from || c.ver > to {
			continue
		}
		if _, ok := fields[c.idx]; !ok {
			order = append(order, c.idx)
		}
		fields[c.idx] |= c.fields
	}
	return order, fields
}

func (t *tenant) deltaItemLocked(idx int, changed uint64, sel []string) jobj {
	if del, gone := t.deleted[idx]; gone {
		u := t.anyUserLocked(idx)
		if u == nil {
			return nil
		}
		reason := "changed"
		if del.permanent {
			reason = "deleted"
		}
		return jobj{{"id", u.ID}, {"@removed", jobj{{"reason", reason}}}}
	}
	u := t.userLocked(idx)
	if u == nil {
		return nil
	}
	if changed == ^uint64(0) {
		return userJSON(u, sel)
	}
	var props []string
	for _, p := range sel {
		if p != "id" && changed&propBit(p) != 0 {
			props = append(props, p)
		}
	}
	if len(props) == 0 {
		return nil // nothing the caller selected changed
	}
	return userJSON(u, append(props, "id"))
}
