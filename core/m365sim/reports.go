package m365sim

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Usage reports: GET /reports/getMailboxUsageDetail(period='D7') answers
// 302 Found with a short-lived, pre-authenticated download URL, as Graph
// does (its target is reportsncu.office.com); the download serves the CSV
// with a UTF-8 byte order mark and the documented columns.

var mailboxColumns = []string{"Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date",
	"Created Date", "Last Activity Date", "Item Count", "Storage Used (Byte)", "Issue Warning Quota (Byte)",
	"Prohibit Send Quota (Byte)", "Prohibit Send/Receive Quota (Byte)", "Deleted Item Count", "Deleted Item Size (Byte)",
	"Deleted Item Quota (Byte)", "Has Archive", "Recipient Type", "Report Period"}

type downloadTicket struct {
	Kind   string `json:"k"`
	Tenant string `json:"t"`
	Report string `json:"r"`
	Period int    `json:"p"`
	Exp    int64  `json:"x"`
}

func (s *Server) mailboxReport(gr *graphReq) graphResp {
	seg := strings.Split(strings.Trim(gr.path, "/"), "/")[1]
	seg, _ = url.PathUnescape(seg)
	m := reportSeg.FindStringSubmatch(seg)
	if m == nil {
		return s.gerr(gr, 400, "BadRequest", "Resource not found for the segment '"+seg+"'.")
	}
	days := map[string]int{"D7": 7, "D30": 30, "D90": 90, "D180": 180}[m[1]]
	if days == 0 {
		return s.gerr(gr, 400, "BadRequest", "Invalid value for parameter 'period': '"+m[1]+"'. Valid values are D7, D30, D90 and D180.")
	}
	if f := gr.query.Get("$format"); f != "" && f != "text/csv" {
		return s.gerr(gr, 400, "BadRequest", "The $format 'application/json' is only supported on the beta endpoint.")
	}
	tk := downloadTicket{Kind: "dl", Tenant: gr.t.id, Report: "getMailboxUsageDetail", Period: days, Exp: s.now().Add(5 * time.Minute).Unix()}
	h := http.Header{}
	h.Set("Location", "https://"+s.info.AuthorityHost+"/_download/reports?token="+url.QueryEscape(s.sign(tk)))
	h.Set("Content-Type", "text/plain")
	return graphResp{status: http.StatusFound, header: h}
}

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, meta *reqMeta) {
	meta.endpoint = "GET /_download/reports"
	var tk downloadTicket
	if err := s.verify(r.URL.Query().Get("token"), &tk); err != nil || tk.Kind != "dl" {
		http.Error(w, "The download link is invalid.", http.StatusForbidden)
		return
	}
	meta.tenant = tk.Tenant
	if s.now().Unix() > tk.Exp {
		http.Error(w, "The download link has expired.", http.StatusForbidden)
		return
	}
	t := s.tenantByID(tk.Tenant)
	if t == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="MailboxUsageDetail`+s.epoch.Format("1_2_2006 3_04_05 PM")+`.csv"`)
	w.WriteHeader(200)
	w.Write(s.mailboxCSV(t, tk.Period))
}

func (s *Server) concealed(t *tenant, v string) string {
	sum := hmacSum([]byte(strconv.FormatInt(s.opt.Seed, 10)+t.id), v)
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}

func (s *Server) mailboxCSV(t *tenant, period int) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.Write(mailboxColumns)
	refresh := s.epoch.AddDate(0, 0, -2).Format("2006-01-02")
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	t.mu.Lock()
	defer t.mu.Unlock()
	conceal := t.flags.ConcealedNames
	n := t.userCountLocked()
	for i := 0; i < n; i++ {
		u := t.anyUserLocked(i)
		if u == nil || u.Mail == "" || u.UserType != "Member" {
			continue
		}
		del, deleted := t.deleted[i]
		if deleted && (del.permanent || s.epoch.Sub(del.at) > 30*24*time.Hour) {
			continue
		}
		mb := t.mailbox(u)
		upn, name := u.UPN, u.DisplayName
		if conceal {
			upn, name = s.concealed(t, u.UPN), s.concealed(t, u.UPN+"\x00name")
		}
		isDel, delDate := "False", ""
		if deleted {
			isDel, delDate = "True", day(del.at)
		}
		cw.Write([]string{refresh, upn, name, isDel, delDate, day(mb.created), day(mb.lastActivity),
			strconv.FormatInt(mb.items, 10), strconv.FormatInt(mb.storage, 10), strconv.FormatInt(mb.warnQuota, 10),
			strconv.FormatInt(mb.sendQuota, 10), strconv.FormatInt(mb.sendRecvQuota, 10), strconv.FormatInt(mb.deletedItems, 10),
			strconv.FormatInt(mb.deletedSize, 10), strconv.FormatInt(mb.deletedQuota, 10), pyBool(mb.hasArchive),
			mb.recipientType, strconv.Itoa(period)})
	}
	cw.Flush()
	return buf.Bytes()
}

func (s *Server) reportSettings(gr *graphReq) graphResp {
	return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#admin/reportSettings/$entity",
		"id": "reportSettings", "displayConcealedNames": gr.t.flagsNow().ConcealedNames})
}

// pyBool renders a boolean as the report does: "True" or "False".
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
