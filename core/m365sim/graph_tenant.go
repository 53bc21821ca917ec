// Graph tenant-level resources: organization, domains, licences, groups,
// Intune devices, and the partner endpoints (GDAP customers, relationships,
// contracts).

package m365sim

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// --- organization, domains, licences ---------------------------------------

func (s *Server) organization(gr *graphReq) graphResp {
	t := gr.t
	c := cultures[t.culture]
	var verified []any
	for _, d := range t.domains {
		if !d.Verified {
			continue
		}
		caps := "Email, OfficeCommunicationsOnline"
		if d.IsInitial {
			caps = "Email, OfficeCommunicationsOnline, MoeraDomain"
		}
		verified = append(verified, map[string]any{"capabilities": caps, "isDefault": d.IsDefault, "isInitial": d.IsInitial, "name": d.Name, "type": "Managed"})
	}
	var plans []any
	t.mu.Lock() // materialize fills in the SKUs' counts under t.mu
	skus := append([]tenantSku(nil), t.skus...)
	t.mu.Unlock()
	for _, sk := range skus {
		for _, p := range sk.ServicePlan {
			plans = append(plans, map[string]any{"assignedDateTime": jsonTime(&t.created), "capabilityStatus": "Enabled", "service": strings.ToLower(strings.SplitN(p, "_", 2)[0]), "servicePlanId": guid(hstr(p))})
		}
	}
	org := map[string]any{
		"id": t.id, "displayName": t.name, "deletedDateTime": nil, "businessPhones": []string{t.phone},
		"city": t.city, "country": nil, "countryLetterCode": c.country, "createdDateTime": jsonTime(&t.created),
		"defaultUsageLocation": nil, "marketingNotificationEmails": []string{}, "onPremisesLastSyncDateTime": nil,
		"onPremisesSyncEnabled": nil, "partnerTenantType": nil, "postalCode": t.postal, "preferredLanguage": "en",
		"securityComplianceNotificationMails": []string{}, "securityComplianceNotificationPhones": []string{},
		"state": nil, "street": t.street, "technicalNotificationMails": []string{"admin@" + t.defaultDomain()},
		"tenantType": "AAD", "directorySizeQuota": map[string]any{"used": t.size + 30, "total": 300000},
		"assignedPlans": plans, "privacyProfile": nil, "provisionedPlans": []any{}, "verifiedDomains": verified,
	}
	if t.idx%5 == 1 {
		org["onPremisesSyncEnabled"] = true
		org["onPremisesLastSyncDateTime"] = jsonTime(ptime(s.epoch.Add(-25 * time.Minute)))
	}
	if t == s.partner {
		org["partnerTenantType"] = "resellerPartnerDelegatedAdmin"
	}
	segs := strings.Split(strings.Trim(gr.path, "/"), "/")
	if len(segs) == 2 {
		if !strings.EqualFold(segs[1], t.id) {
			return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]))
		}
		org = selectProps(org, gr.query.Get("$select"))
		org["@odata.context"] = s.info.GraphBase + "/$metadata#organization/$entity"
		return s.gjson(200, org)
	}
	return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#organization", "value": []any{selectProps(org, gr.query.Get("$select"))}})
}

func (s *Server) domains(gr *graphReq) graphResp {
	var out []any
	for _, d := range gr.t.domains {
		svc := []string{}
		if d.Verified {
			svc = []string{"Email", "OfficeCommunicationsOnline"}
		}
		out = append(out, selectProps(map[string]any{
			"id": d.Name, "authenticationType": "Managed", "availabilityStatus": nil, "isAdminManaged": true,
			"isDefault": d.IsDefault, "isInitial": d.IsInitial, "isRoot": !strings.HasPrefix(d.Name, "mail."), "isVerified": d.Verified,
			"supportedServices": svc, "passwordNotificationWindowInDays": nil, "passwordValidityPeriodInDays": nil,
			"state": nil, "manufacturer": nil, "model": nil,
		}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "domains", out, 100, 999)
}

func (s *Server) subscribedSkus(gr *graphReq) graphResp {
	t := gr.t
	t.mu.Lock()
	t.materialize()
	var out []any
	for _, sk := range t.skus {
		plans := []any{}
		for _, p := range sk.ServicePlan {
			plans = append(plans, map[string]any{"servicePlanId": guid(hstr(p)), "servicePlanName": p, "provisioningStatus": "Success", "appliesTo": "User"})
		}
		status := "Enabled"
		switch {
		case sk.lockedOut > 0 && sk.enabled == 0:
			status = "LockedOut"
		case sk.suspended > 0 && sk.enabled == 0:
			status = "Suspended"
		case sk.warning > 0 && sk.enabled == 0:
			status = "Warning"
		}
		out = append(out, selectProps(map[string]any{
			"accountId": t.id, "accountName": slug(t.name, 20), "appliesTo": "User", "capabilityStatus": status,
			"consumedUnits": t.consumed[sk.ID], "id": t.id + "_" + sk.ID, "skuId": sk.ID, "skuPartNumber": sk.PartNumber,
			"subscriptionIds": []string{sk.subscriptionID}, "servicePlans": plans,
			"prepaidUnits": map[string]any{"enabled": sk.enabled, "suspended": sk.suspended, "warning": sk.warning, "lockedOut": sk.lockedOut},
		}, gr.query.Get("$select")))
	}
	t.mu.Unlock()
	return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#subscribedSkus", "value": out})
}

// --- groups ---------------------------------------------------------------

func (s *Server) listGroups(gr *graphReq) graphResp {
	var out []any
	for _, g := range gr.t.groups() {
		out = append(out, selectProps(map[string]any{
			"id": g.id, "displayName": g.name, "mail": g.mail, "mailEnabled": true, "securityEnabled": g.dept == "",
			"groupTypes": []string{"Unified"}, "mailNickname": strings.SplitN(g.mail, "@", 2)[0], "visibility": "Private",
			"createdDateTime": jsonTime(&gr.t.created), "description": nil,
		}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "groups", out, 100, 999)
}

func (s *Server) groupMembers(gr *graphReq) graphResp {
	gid := strings.Split(strings.Trim(gr.path, "/"), "/")[1]
	var g *group
	for _, x := range gr.t.groups() {
		if strings.EqualFold(x.id, gid) {
			x := x
			g = &x
		}
	}
	if g == nil {
		return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", gid))
	}
	props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
	if bad != nil {
		return *bad
	}
	t := gr.t
	t.mu.Lock()
	var out []any
	n := t.userCountLocked()
	for i := 0; i < n; i++ {
		u := t.userLocked(i)
		if u == nil || u.UserType != "Member" || u.Kind == "shared" {
			continue
		}
		if (g.dept == "" && u.AccountEnabled) || (g.dept != "" && u.Department == g.dept) {
			out = append(out, append(jobj{{"@odata.type", "#microsoft.graph.user"}}, userJSON(u, props)...))
		}
	}
	t.mu.Unlock()
	return s.pageOf(gr, "directoryObjects", out, 100, 999)
}

// --- Intune -----------------------------------------------------------------

func (s *Server) managedDevices(gr *graphReq) graphResp {
	t := gr.t
	sel := gr.query.Get("$select")
	t.mu.Lock() // materialize fills in the SKUs under t.mu
	n := t.deviceCount()
	t.mu.Unlock()
	return s.pageOfN(gr, "deviceManagement/managedDevices", n, func(i int) any {
		t.mu.Lock()
		d := t.device(i, t.userLocked)
		t.mu.Unlock()
		enrollment := "windowsAzureADJoin"
		if d.OS != "Windows" {
			enrollment = "userEnrollment"
		}
		return selectProps(map[string]any{
			"id": d.ID, "userId": nullable(d.UserID), "deviceName": d.Name, "managedDeviceOwnerType": d.OwnerType,
			"enrolledDateTime": jsonTime(&d.Enrolled), "lastSyncDateTime": jsonTime(&d.LastSync), "operatingSystem": d.OS,
			"complianceState": d.Compliance, "jailBroken": "Unknown", "managementAgent": "mdm", "osVersion": d.OSVersion,
			"easActivated": false, "azureADRegistered": true, "deviceEnrollmentType": enrollment,
			"azureADDeviceId": guid(hstr(d.ID), 7), "deviceRegistrationState": "registered", "isSupervised": false,
			"isEncrypted": d.Encrypted, "userPrincipalName": nullable(d.UserPrincipalName), "model": d.Model,
			"manufacturer": d.Manufacturer, "serialNumber": d.Serial, "userDisplayName": nullable(d.UserDisplayName), "emailAddress": nullable(d.UserPrincipalName),
			"managedDeviceName": d.Name + "_" + d.Enrolled.Format("1/2/2006_3:04 PM"), "totalStorageSpaceInBytes": 255551504384,
			"freeStorageSpaceInBytes": 95551504384, "physicalMemoryInBytes": 0, "wiFiMacAddress": "", "imei": "", "meid": "",
			"phoneNumber": nil, "notes": nil, "partnerReportedThreatState": "unknown",
		}, sel)
	}, 1000, 1000)
}

// --- partner ---------------------------------------------------------------

func (s *Server) gdapCustomers(gr *graphReq) graphResp {
	var out []any
	for _, t := range s.tenants {
		out = append(out, map[string]any{"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "id": t.id, "tenantId": t.id, "displayName": t.name})
	}
	return s.pageOf(gr, "tenantRelationships/delegatedAdminCustomers", out, 100, 300)
}

var reRelFilter = regexp.MustCompile(`(?i)^(customer/tenantId|status)\s+eq\s+'([^']*)'$`)

func (s *Server) gdapRelationships(gr *graphReq) graphResp {
	var field, want string
	if f := strings.TrimSpace(gr.query.Get("$filter")); f != "" {
		m := reRelFilter.FindStringSubmatch(f)
		if m == nil {
			return s.gerr(gr, 400, "BadRequest", "The $filter query is not supported: "+f)
		}
		field, want = strings.ToLower(m[1]), m[2]
	}
	var out []any
	for _, t := range s.tenants {
		flags := t.flagsNow()
		status, end := "active", t.relEnd
		if flags.GDAPExpired {
			status, end = "expired", s.epoch.AddDate(0, 0, -3)
		}
		var roles []any
		for _, r := range t.gdapRoles() {
			roles = append(roles, map[string]any{"roleDefinitionId": r})
		}
		if field == "customer/tenantid" && !strings.EqualFold(want, t.id) || field == "status" && !strings.EqualFold(want, status) {
			continue
		}
		created := t.relEnd.AddDate(-2, 0, 0)
		out = append(out, map[string]any{
			"@odata.type": "#microsoft.graph.delegatedAdminRelationship", "id": t.relID,
			"displayName": "tenantsync-" + slug(t.name, 20), "duration": "P730D", "status": status,
			"autoExtendDuration": "P180D", "createdDateTime": jsonTime(&created), "activatedDateTime": jsonTime(&created),
			"lastModifiedDateTime": jsonTime(&created), "endDateTime": jsonTime(&end),
			"customer":      map[string]any{"tenantId": t.id, "displayName": t.name},
			"accessDetails": map[string]any{"unifiedRoles": roles},
		})
	}
	return s.pageOf(gr, "tenantRelationships/delegatedAdminRelationships", out, 100, 300)
}

func (s *Server) contracts(gr *graphReq) graphResp {
	var out []any
	for _, t := range s.tenants {
		out = append(out, selectProps(map[string]any{"id": guid(hstr(t.id), 9), "contractType": "ResellerPartner",
			"customerId": t.id, "defaultDomainName": t.defaultDomain(), "displayName": t.name}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "contracts", out, 100, 999)
}
