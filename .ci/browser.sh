#!/bin/sh
# Plays the browser for tenantsync's sign-ins against the simulated cloud:
# tenantsync (or MSAL) runs it as $BROWSER with the authorize URL. It fetches
# the sign-in page and delivers the answer to the loopback redirect the way
# a browser does: the form_post page's hidden form is POSTed; a 302 is
# followed with GET. An error page is printed and fails the sign-in.
# Needs curl; trusts the CA in $SSL_CERT_FILE.
set -eu
url=$1
log=${BROWSER_LOG:-/dev/stderr}
page=$(mktemp)
trap 'rm -f "$page"' EXIT
code=$(curl -sS --cacert "$SSL_CERT_FILE" -o "$page" -w '%{http_code}' "$url")
case $code in
302)
	loc=$(curl -sS --cacert "$SSL_CERT_FILE" -o /dev/null -w '%{redirect_url}' "$url")
	exec curl -sS -o /dev/null "$loc"
	;;
200) ;;
*)
	echo "browser.sh: sign-in page answered $code: $(sed -n 's/.*<p id="code">\([^<]*\)<.*/\1/p' "$page")" >>"$log"
	exit 1
	;;
esac
unescape() { sed -e 's/&quot;/"/g' -e "s/&#39;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'; }
action=$(sed -n 's/.*<form method="POST" name="hiddenform" action="\([^"]*\)".*/\1/p' "$page" | unescape)
if [ -z "$action" ]; then
	echo "browser.sh: the sign-in page has no form" >>"$log"
	exit 1
fi
fields=$(mktemp)
trap 'rm -f "$page" "$fields"' EXIT
grep -o '<input type="hidden" name="[^"]*" value="[^"]*"' "$page" |
	sed 's/<input type="hidden" name="\([^"]*\)" value="\([^"]*\)"/\1=\2/' | unescape >"$fields"
set --
while IFS= read -r field; do
	set -- "$@" --data-urlencode "$field"
done <"$fields"
curl -sS -o /dev/null -X POST "$@" "$action"
echo "browser.sh: delivered the sign-in to $action" >>"$log"
