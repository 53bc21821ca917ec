package ui

// showConnect shows the connect form; editID names the connection whose
// credentials to edit, "" for a new one.
func (s *Shell) showConnect(editID string) {
	v := newConnectView(s.env, editID)
	s.showFlow(ViewIntegrations, v.buildUI(), nil)
	s.connect = v
}

// showSyncSettings shows a connection's sync settings.
func (s *Shell) showSyncSettings(connID string) {
	v := newSyncSettingsView(s.env, connID)
	s.showFlow(ViewIntegrations, v.buildUI(), nil)
	s.syncSettings = v
}

// showMatching shows the matching of one connection's tenants.
func (s *Shell) showMatching(connID string) {
	v := newMatchingView(s.env, connID)
	s.setContent(ViewMatching, v.buildUI())
	s.refresh, s.view = v.refresh, v
	s.matching = v
}

// showLogs shows one connection's sync logs.
func (s *Shell) showLogs(connID string) {
	v := newLogsView(s.env, connID)
	s.setContent(ViewLogs, v.buildUI())
	s.refresh, s.view = v.refresh, v
	s.logsView = v
}

// ShowConnect shows the connect form (editID "" for a new connection).
func (s *Shell) ShowConnect(editID string) { s.showConnect(editID) }

// ShowSyncSettings shows a connection's sync settings.
func (s *Shell) ShowSyncSettings(connID string) { s.showSyncSettings(connID) }

// OpenContact opens the contact overlay of a contact.
func (s *Shell) OpenContact(id uint64) {
	o := newContactOverlay(s.env, id)
	o.show()
	s.overlay = o
}

// DismissOverlays closes the contact overlay and any dialog it opened.
func (s *Shell) DismissOverlays() {
	for _, o := range s.env.w.Canvas().Overlays().List() {
		s.env.w.Canvas().Overlays().Remove(o)
	}
	s.overlay = nil
}

// ShowOrganization shows one organization's contacts.
func (s *Shell) ShowOrganization(orgID uint64) {
	s.Show(ViewOrganizations)
	if s.orgs != nil {
		s.orgs.showOrg(orgID)
	}
}
