package graph

// friendlySKUs maps SKU part numbers to the product names Microsoft shows in
// the admin center ("Product names and service plan identifiers for
// licensing"). Unknown part numbers are shown as they are.
var friendlySKUs = map[string]string{
	"AAD_PREMIUM":                        "Microsoft Entra ID P1",
	"AAD_PREMIUM_P2":                     "Microsoft Entra ID P2",
	"ATP_ENTERPRISE":                     "Microsoft Defender for Office 365 (Plan 1)",
	"DESKLESSPACK":                       "Office 365 F3",
	"EMS":                                "Enterprise Mobility + Security E3",
	"EMSPREMIUM":                         "Enterprise Mobility + Security E5",
	"ENTERPRISEPACK":                     "Office 365 E3",
	"ENTERPRISEPREMIUM":                  "Office 365 E5",
	"ENTERPRISEPACK_FACULTY":             "Office 365 A3 for faculty",
	"EXCHANGEARCHIVE_ADDON":              "Exchange Online Archiving",
	"EXCHANGEDESKLESS":                   "Exchange Online Kiosk",
	"EXCHANGEENTERPRISE":                 "Exchange Online (Plan 2)",
	"EXCHANGESTANDARD":                   "Exchange Online (Plan 1)",
	"FLOW_FREE":                          "Microsoft Power Automate Free",
	"INTUNE_A":                           "Microsoft Intune Plan 1",
	"M365_F1":                            "Microsoft 365 F1",
	"MCOEV":                              "Microsoft Teams Phone Standard",
	"MCOMEETADV":                         "Microsoft 365 Audio Conferencing",
	"Microsoft_Teams_Exploratory_Dept":   "Microsoft Teams Exploratory",
	"O365_BUSINESS":                      "Microsoft 365 Apps for business",
	"O365_BUSINESS_ESSENTIALS":           "Microsoft 365 Business Basic",
	"O365_BUSINESS_PREMIUM":              "Microsoft 365 Business Standard",
	"OFFICESUBSCRIPTION":                 "Microsoft 365 Apps for enterprise",
	"POWER_BI_PRO":                       "Power BI Pro",
	"POWER_BI_STANDARD":                  "Power BI (free)",
	"PROJECTPREMIUM":                     "Project Online Premium",
	"PROJECTPROFESSIONAL":                "Project Plan 3",
	"SPB":                                "Microsoft 365 Business Premium",
	"SPE_E3":                             "Microsoft 365 E3",
	"SPE_E5":                             "Microsoft 365 E5",
	"SPE_F1":                             "Microsoft 365 F3",
	"STANDARDPACK":                       "Office 365 E1",
	"STREAM":                             "Microsoft Stream",
	"TEAMS_EXPLORATORY":                  "Microsoft Teams Exploratory",
	"VISIOCLIENT":                        "Visio Plan 2",
	"VISIOONLINE_PLAN1":                  "Visio Plan 1",
	"WIN10_VDA_E3":                       "Windows 10/11 Enterprise E3",
	"WINDOWS_STORE":                      "Windows Store for Business",
	"Microsoft_365_Copilot":              "Microsoft 365 Copilot",
	"O365_w/o_Teams_Bundle_M3":           "Microsoft 365 E3 (no Teams)",
	"Microsoft_Teams_Premium":            "Microsoft Teams Premium",
	"MICROSOFT_BUSINESS_CENTER":          "Microsoft Business Center",
	"RIGHTSMANAGEMENT":                   "Azure Information Protection Plan 1",
	"THREAT_INTELLIGENCE":                "Microsoft Defender for Office 365 (Plan 2)",
	"IDENTITY_THREAT_PROTECTION":         "Microsoft 365 E5 Security",
	"DEFENDER_ENDPOINT_P1":               "Microsoft Defender for Endpoint P1",
	"MDATP_XPLAT":                        "Microsoft Defender for Endpoint P2",
	"Microsoft_Defender_for_Business":    "Microsoft Defender for Business",
	"EXCHANGE_S_ESSENTIALS":              "Exchange Online Essentials",
	"SHAREPOINTSTANDARD":                 "SharePoint Online (Plan 1)",
	"SHAREPOINTENTERPRISE":               "SharePoint Online (Plan 2)",
	"PHONESYSTEM_VIRTUALUSER":            "Microsoft Teams Phone Resource Account",
	"MCOPSTN1":                           "Microsoft Teams Domestic Calling Plan",
	"POWERAPPS_VIRAL":                    "Microsoft Power Apps Plan 2 Trial",
	"POWERAPPS_DEV":                      "Microsoft Power Apps for Developer",
	"CCIBOTS_PRIVPREV_VIRAL":             "Copilot Studio Viral Trial",
	"DYN365_ENTERPRISE_SALES":            "Dynamics 365 Sales Enterprise",
	"Microsoft_365_E5_(no_Teams)":        "Microsoft 365 E5 (no Teams)",
	"Office_365_E3_(no_Teams)":           "Office 365 E3 (no Teams)",
	"Microsoft_365_Business_Premium_EEA": "Microsoft 365 Business Premium (no Teams)",
}

// FriendlySKU returns the product name of a SKU part number.
func FriendlySKU(partNumber string) string {
	if name, ok := friendlySKUs[partNumber]; ok {
		return name
	}
	return partNumber
}
