package m365sim

import "strings"

// A culture is a pool of given names and surnames that sound like they belong
// together. Non-Latin names carry the ASCII form an admin would use in the
// user principal name ("王伟" -> wang.wei).
type culture struct {
	code          string
	given         []nameForm
	surnames      []nameForm
	surnameFirst  bool // display name "Surname Given" (zh without space, ja with)
	noSpace       bool
	country       string // usage location
	phonePrefix   string
	cities        []string
	companySuffix []string
	tlds          []string
}

type nameForm struct{ native, ascii string }

func forms(list ...string) []nameForm {
	out := make([]nameForm, len(list))
	for i, s := range list {
		native, ascii, ok := strings.Cut(s, "|")
		if !ok {
			ascii = foldASCII(native)
		}
		out[i] = nameForm{native, ascii}
	}
	return out
}

var cultures = []culture{
	{code: "en", country: "GB", phonePrefix: "+44 20 7946", cities: []string{"London", "Leeds", "Bristol", "Manchester"},
		companySuffix: []string{"Ltd", "Limited", "LLP"}, tlds: []string{".co.uk", ".com"},
		given: forms("James", "John", "Mary", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Sarah",
			"Emma", "Oliver", "Charlotte", "Thomas", "Jessica", "Daniel", "Emily", "Matthew", "Olivia", "Chris", "Siobhan", "Niamh"),
		surnames: forms("Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Wilson", "Davies", "Evans", "Thomas",
			"Roberts", "Walker", "Wright", "Thompson", "White", "Green", "Hall", "Clarke", "O'Brien", "McDonald", "Smith-Jones")},
	{code: "us", country: "US", phonePrefix: "+1 425 555", cities: []string{"Seattle", "Chicago", "Austin", "Denver"},
		companySuffix: []string{"Inc", "LLC", "Corp."}, tlds: []string{".com", ".us"},
		given:    forms("Ashley", "Brandon", "Tyler", "Megan", "Kevin", "Brittany", "Jason", "Amanda", "Justin", "Heather", "DeShawn", "Jamal"),
		surnames: forms("Miller", "Davis", "Garcia", "Martinez", "Anderson", "Jackson", "Harris", "Lewis", "Robinson", "Young", "King", "Scott")},
	{code: "de", country: "DE", phonePrefix: "+49 30 901820", cities: []string{"Berlin", "München", "Köln", "Düsseldorf"},
		companySuffix: []string{"GmbH", "AG", "GmbH & Co. KG", "e.K."}, tlds: []string{".de"},
		given:    forms("Jürgen", "Lukas", "Anna", "Günter", "Jörg", "Käthe", "Maximilian", "Sophie", "Hans-Peter", "Björn", "Uwe", "Dörte"),
		surnames: forms("Müller", "Schröder", "Schäfer", "Weiß", "Köhler", "Groß", "Becker", "Hoffmann", "Wagner", "Zimmermann", "Fuß", "Böhm")},
	{code: "no", country: "NO", phonePrefix: "+47 22 12", cities: []string{"Oslo", "Bergen", "Trondheim"},
		companySuffix: []string{"AS", "ASA"}, tlds: []string{".no"},
		given:    forms("Øyvind", "Åse", "Bjørn", "Ingrid", "Kåre", "Solveig", "Håkon", "Sigrún", "Lars", "Mette"),
		surnames: forms("Hansen", "Ødegård", "Sæther", "Bjørklund", "Løvås", "Haugen", "Dahl", "Strøm")},
	{code: "se", country: "SE", phonePrefix: "+46 8 123", cities: []string{"Stockholm", "Göteborg", "Malmö"},
		companySuffix: []string{"AB"}, tlds: []string{".se"},
		given:    forms("Sören", "Åsa", "Märta", "Björn", "Linnéa", "Göran", "Elin", "Anders"),
		surnames: forms("Lindqvist", "Nyström", "Åberg", "Söderberg", "Andersson", "Karlsson", "Ångström")},
	{code: "es", country: "ES", phonePrefix: "+34 91 123", cities: []string{"Madrid", "Barcelona", "Sevilla"},
		companySuffix: []string{"S.L.", "S.A."}, tlds: []string{".es"},
		given:    forms("José", "María", "Iñaki", "Lucía", "Sebastián", "Ramón", "Begoña", "Álvaro", "Inés", "Jesús"),
		surnames: forms("García", "Núñez", "Rodríguez", "Peña", "Muñoz", "Fernández", "López de la Torre", "Ibáñez")},
	{code: "pt", country: "PT", phonePrefix: "+351 21 123", cities: []string{"Lisboa", "Porto"},
		companySuffix: []string{"Lda.", "S.A."}, tlds: []string{".pt"},
		given:    forms("João", "Inês", "Conceição", "Gonçalo", "Estêvão"),
		surnames: forms("Gonçalves", "Conceição", "Magalhães", "Simões", "Araújo")},
	{code: "fr", country: "FR", phonePrefix: "+33 1 42 68", cities: []string{"Paris", "Lyon", "Marseille"},
		companySuffix: []string{"SARL", "SAS", "SA"}, tlds: []string{".fr"},
		given:    forms("François", "Hélène", "Zoé", "Jérôme", "Loïc", "Céline", "Amélie", "Gaël", "Noël", "Anaïs"),
		surnames: forms("Lefèvre", "Dubois", "Bérénger", "Moreau", "Faure", "Girard", "Lemaître", "Ducrœt")},
	{code: "pl", country: "PL", phonePrefix: "+48 22 123", cities: []string{"Warszawa", "Kraków", "Łódź"},
		companySuffix: []string{"Sp. z o.o.", "S.A."}, tlds: []string{".pl"},
		given:    forms("Łukasz", "Paweł", "Małgorzata", "Agnieszka", "Wojciech", "Zofia"),
		surnames: forms("Wójcik", "Kowalczyk", "Nowak", "Wiśniewski", "Dąbrowski", "Zieliński")},
	{code: "cz", country: "CZ", phonePrefix: "+420 2 123", cities: []string{"Praha", "Brno"},
		companySuffix: []string{"s.r.o.", "a.s."}, tlds: []string{".cz"},
		given:    forms("Jiří", "Zdeněk", "Tomáš", "Kateřina", "Lenka"),
		surnames: forms("Dvořák", "Novák", "Černý", "Procházka", "Kučera")},
	{code: "zh", country: "CN", phonePrefix: "+86 10 6552", cities: []string{"北京", "上海"}, surnameFirst: true, noSpace: true,
		companySuffix: []string{"有限公司"}, tlds: []string{".cn", ".com.cn"},
		given:    forms("伟|Wei", "娜|Na", "芳|Fang", "静|Jing", "强|Qiang", "磊|Lei", "秀英|Xiuying", "军|Jun"),
		surnames: forms("王|Wang", "李|Li", "张|Zhang", "刘|Liu", "陈|Chen", "杨|Yang", "黄|Huang")},
	{code: "ru", country: "RU", phonePrefix: "+7 495 123", cities: []string{"Москва", "Санкт-Петербург"},
		companySuffix: []string{"ООО"}, tlds: []string{".ru"},
		given:    forms("Дмитрий|Dmitry", "Сергей|Sergey", "Алексей|Alexey", "Иван|Ivan", "Михаил|Mikhail", "Андрей|Andrey"),
		surnames: forms("Иванов|Ivanov", "Петров|Petrov", "Соколов|Sokolov", "Кузнецов|Kuznetsov", "Попов|Popov", "Волков|Volkov")},
	{code: "ja", country: "JP", phonePrefix: "+81 3 1234", cities: []string{"東京", "大阪"}, surnameFirst: true,
		companySuffix: []string{"株式会社"}, tlds: []string{".co.jp", ".jp"},
		given:    forms("健|Ken", "美咲|Misaki", "翔太|Shota", "陽菜|Hina", "大輔|Daisuke"),
		surnames: forms("佐藤|Sato", "鈴木|Suzuki", "高橋|Takahashi", "田中|Tanaka", "渡辺|Watanabe")},
	{code: "el", country: "GR", phonePrefix: "+30 21 0123", cities: []string{"Αθήνα"},
		companySuffix: []string{"Α.Ε."}, tlds: []string{".gr"},
		given:    forms("Γιώργος|Giorgos", "Ελένη|Eleni", "Νίκος|Nikos", "Μαρία|Maria"),
		surnames: forms("Παπαδόπουλος|Papadopoulos", "Οικονόμου|Oikonomou", "Γεωργίου|Georgiou")},
	{code: "in", country: "IN", phonePrefix: "+91 80 4123", cities: []string{"Bengaluru", "Mumbai"},
		companySuffix: []string{"Pvt Ltd"}, tlds: []string{".in", ".co.in"},
		given:    forms("Aarav", "Priya", "Mohammed", "Fatima", "Vikram", "Ananya", "Rohan", "Zainab"),
		surnames: forms("Patel", "Sharma", "Khan", "Iyer", "Reddy", "Al-Sayed", "Nair")},
	{code: "au", country: "AU", phonePrefix: "+61 2 9876", cities: []string{"Sydney", "Melbourne", "Brisbane"},
		companySuffix: []string{"Pty Ltd"}, tlds: []string{".com.au"},
		given:    forms("Bruce", "Sheila", "Mitchell", "Chloe", "Lachlan", "Kylie"),
		surnames: forms("Nguyen", "Kelly", "Murphy", "Ryan", "Campbell", "Stewart")},
	{code: "nl", country: "NL", phonePrefix: "+31 20 123", cities: []string{"Amsterdam", "Utrecht"},
		companySuffix: []string{"B.V."}, tlds: []string{".nl"},
		given:    forms("Daan", "Sanne", "Joël", "Floor", "Thijs"),
		surnames: forms("de Vries", "van den Berg", "Jansen", "Bakker", "van Dijk")},
}

// Home cultures a tenant's company is drawn from (weights in cultureWeights).
var cultureWeights = []int{22, 18, 12, 5, 4, 6, 3, 5, 4, 2, 3, 2, 2, 1, 4, 5, 3}

var sharedMailboxNames = []string{"Info", "Sales", "Accounts", "Reception", "Support", "Bookings", "Careers",
	"Invoices", "Office", "Marketing", "Service Desk", "Orders", "Facturación", "Büro", "Kundenservice"}

var mononyms = forms("Scanner", "Teams Room", "Kiosk", "Aarav", "Madonna", "Björk", "Priya", "Ngozi", "Cher")

var jobTitles = []string{"Managing Director", "Office Manager", "Accountant", "Sales Manager", "Account Executive",
	"Project Manager", "Engineer", "Senior Engineer", "Technician", "Receptionist", "HR Advisor", "Marketing Coordinator",
	"Operations Manager", "Bookkeeper", "Paralegal", "Solicitor", "Dental Nurse", "Architect", "Site Supervisor",
	"Customer Service Representative", "IT Coordinator", "Financial Controller", "Geschäftsführer", "Ingeniero de Proyectos",
	"Chargée de clientèle", "Lagerist", "Praktikant", "CFO", "Head of Sales"}

var departments = []string{"Sales", "Finance", "Operations", "Marketing", "HR", "IT", "Legal", "Engineering",
	"Customer Service", "Management", "Logistics"}

var guestDomains = []string{"gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.com", "icloud.com", "gmx.de",
	"web.de", "fabrikam.com", "tailspintoys.com", "adatum.com", "proton.me"}

// Fixed, real-looking company names (Microsoft's fictitious companies and
// typical small-business customers of an MSP), used first.
var fixedCompanies = []struct{ name, domain, culture string }{
	{"Contoso Ltd", "contoso.co.uk", "en"},
	{"Northwind Traders", "northwindtraders.com", "us"},
	{"A&B Plumbing", "abplumbing.com", "us"},
	{"Müller GmbH", "mueller-gmbh.de", "de"},
	{"Fabrikam, Inc.", "fabrikam.com", "us"},
	{"Adventure Works Cycles", "adventure-works.com", "us"},
	{"Tailspin Toys", "tailspintoys.com", "us"},
	{"Wide World Importers", "wideworldimporters.com", "us"},
	{"Alpine Ski House", "alpineskihouse.com", "us"},
	{"Coho Winery", "cohowinery.com", "us"},
	{"Woodgrove Bank", "woodgrovebank.com", "us"},
	{"Lucerne Publishing", "lucernepublishing.com", "us"},
	{"Margie's Travel", "margiestravel.com", "us"},
	{"Trey Research", "treyresearch.net", "us"},
	{"Fourth Coffee", "fourthcoffee.com", "us"},
	{"Humongous Insurance", "humongousinsurance.com", "us"},
	{"City Power & Light", "cpandl.com", "us"},
	{"Bergström & Söhne AG", "bergstroem-soehne.de", "de"},
	{"Øster Bygg AS", "osterbygg.no", "no"},
	{"Nørgaard Revision ApS", "norgaard-revision.dk", "no"},
	{"Société Lyonnaise de Plomberie SARL", "slp-plomberie.fr", "fr"},
	{"Kowalski i Synowie Sp. z o.o.", "kowalski-synowie.pl", "pl"},
	{"O'Connor Electrical Ltd", "oconnorelectrical.ie", "en"},
	{"Smith & Sons Builders", "smithandsons.co.uk", "en"},
	{"Brightside Dental Pty Ltd", "brightsidedental.com.au", "au"},
	{"Peña Abogados S.L.", "penaabogados.es", "es"},
	{"Schäfer Logistik GmbH & Co. KG", "schaefer-logistik.de", "de"},
	{"株式会社さくら工業", "sakura-kogyo.co.jp", "ja"},
	{"Dvořák Stavby s.r.o.", "dvorak-stavby.cz", "cz"},
	{"Van Dijk Installatietechniek B.V.", "vandijk-installatie.nl", "nl"},
	{"Lindqvist Redovisning AB", "lindqvist-redovisning.se", "se"},
	{"Patel & Iyer Chartered Accountants", "pateliyer.in", "in"},
}

var companyPrefixes = []string{"Summit", "Redwood", "Lakeside", "Meridian", "Keystone", "Pinnacle", "Riverside",
	"Oakridge", "Silverline", "Harbour", "Northgate", "Bluebell", "Ironbridge", "Westfield", "Copperleaf", "Evergreen",
	"Highland", "Brookfield", "Granite", "Sunrise", "Maple", "Cedar", "Falcon", "Beacon", "Horizon", "Kingfisher",
	"Lighthouse", "Millbrook", "Orchard", "Parkside", "Quayside", "Rosewood", "Stonegate", "Thornbury", "Union Street",
	"Valley", "Willow", "Yellowstone", "Zenith", "Atlas"}

var companyTrades = []string{"Plumbing", "Dental Care", "Accounting", "Logistics", "Legal", "Construction",
	"Veterinary Clinic", "Architects", "Engineering", "Bakery", "Auto Repair", "IT Services", "Marketing",
	"Insurance Brokers", "Property Management", "Physiotherapy", "Printing", "Electrical", "Roofing", "Catering",
	"Recruitment", "Opticians", "Pharmacy", "Landscaping", "Surveyors", "Dentistry", "Medical Practice", "Freight",
	"Joinery", "Consulting"}

var asciiFold = strings.NewReplacer(
	"ä", "a", "ö", "o", "ü", "u", "ß", "ss", "Ä", "A", "Ö", "O", "Ü", "U",
	"ø", "o", "Ø", "O", "å", "a", "Å", "A", "æ", "ae", "Æ", "AE",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "É", "E", "á", "a", "à", "a", "â", "a", "ã", "a", "Á", "A",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ú", "u", "ù", "u", "û", "u",
	"ñ", "n", "ç", "c", "œ", "oe", "ł", "l", "Ł", "L", "ś", "s", "ż", "z", "ź", "z", "ń", "n", "ą", "a", "ę", "e",
	"ć", "c", "ř", "r", "ě", "e", "š", "s", "č", "c", "ž", "z", "ý", "y", "ů", "u", "Č", "C", "Š", "S", "Ž", "Z",
	"ð", "d", "þ", "th",
)

func foldASCII(s string) string { return asciiFold.Replace(s) }

// mailLocal turns a name into the local part of an address as admins type them:
// lower case ASCII letters and digits, words joined with dots.
func mailLocal(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		for _, r := range strings.ToLower(foldASCII(p)) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == ' ' || r == '-':
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), ".-")
}

// slug makes a DNS label from a company name.
func slug(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(foldASCII(s)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() >= max {
			break
		}
	}
	return b.String()
}
