#!/usr/bin/env bash
# tayori dkim keygen|sign|verify through the real binary: files, exit codes
# (0 ok, 1 verification failed, 2 usage or bad input) and error messages.
# Usage: cli_dkim_test.sh PATH/TO/tayori
set -uo pipefail
TAYORI=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
# expect CODE DESCRIPTION -- COMMAND... (stdin from $IN if set; output in $T/out, $T/err)
expect() {
  local want=$1 what=$2; shift 3
  "$@" < "${IN:-/dev/null}" > "$T/out" 2> "$T/err"; local got=$?
  if [[ $got == "$want" ]]; then ok; else bad "$what: exit $got, expected $want: $(cat "$T/err")"; fi
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(cat "$1")"; fi; }

expect 0 "keygen rsa" -- "$TAYORI" dkim keygen --algorithm rsa --out "$T/rsa.pem"
RSA_TXT=$(cat "$T/out")
[[ $(stat -c %a "$T/rsa.pem") == 600 ]] && ok || bad "key file mode is $(stat -c %a "$T/rsa.pem"), not 600"
has "$T/rsa.pem" "-----BEGIN PRIVATE KEY-----" "PKCS#8 PEM"
[[ $RSA_TXT == "v=DKIM1; k=rsa; p=MIIBIjAN"* ]] && ok || bad "rsa TXT value: $RSA_TXT"
expect 0 "keygen ed25519" -- "$TAYORI" dkim keygen --algorithm ed25519 --out "$T/ed.pem"
ED_TXT=$(cat "$T/out")
[[ $ED_TXT == "v=DKIM1; k=ed25519; p="* ]] && ok || bad "ed25519 TXT value: $ED_TXT"
expect 2 "keygen refuses 1024 bits" -- "$TAYORI" dkim keygen --bits 1024 --out "$T/weak.pem"
has "$T/err" "tayori: dkim keygen: RSA keys of 1024 bits are too weak" "weak key message"
[[ ! -e $T/weak.pem ]] && ok || bad "a refused key was written"
expect 2 "keygen refuses to overwrite" -- "$TAYORI" dkim keygen --out "$T/rsa.pem"
expect 2 "keygen unknown algorithm" -- "$TAYORI" dkim keygen --algorithm dsa --out "$T/x.pem"

printf 'From: news@shop.example\nTo: a@example.net\nSubject: hi\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n\nbody\n' > "$T/lf.eml"
IN=$T/lf.eml expect 0 "sign converts LF input" -- "$TAYORI" dkim sign --key "$T/rsa.pem" --domain shop.example \
  --selector s1 --ed25519-key "$T/ed.pem" --ed25519-selector e1
cp "$T/out" "$T/signed.eml"
[[ $(head -c 15 "$T/signed.eml") == "DKIM-Signature:" ]] && ok || bad "signature not prepended"
grep -q $'[^\r]$' "$T/signed.eml" && bad "output has a line without CRLF" || ok
IN=$T/signed.eml expect 0 "verify passes" -- "$TAYORI" dkim verify --txt "$RSA_TXT" --txt "$ED_TXT"
has "$T/out" "pass d=shop.example s=s1 a=rsa-sha256" "rsa verdict"
has "$T/out" "pass d=shop.example s=e1 a=ed25519-sha256" "ed25519 verdict"
sed 's/^body/bodx/' "$T/signed.eml" > "$T/tampered.eml"
IN=$T/tampered.eml expect 1 "verify fails on a changed body" -- "$TAYORI" dkim verify --txt "$RSA_TXT"
has "$T/err" "tayori: dkim verify: fail d=shop.example s=s1 a=rsa-sha256: body hash mismatch" "failure reason"
IN=$T/signed.eml expect 1 "revoked key" -- "$TAYORI" dkim verify --txt "v=DKIM1; k=rsa; p="
has "$T/err" "key revoked" "revoked reason"
IN=$T/signed.eml expect 2 "unparsable --txt" -- "$TAYORI" dkim verify --txt "v=DKIM1; k=rsa; p=%%%"
IN=$T/lf.eml expect 1 "unsigned message" -- "$TAYORI" dkim verify --txt "$RSA_TXT"
has "$T/err" "no DKIM-Signature" "no signature reason"
IN=$T/lf.eml expect 2 "sign with an Ed25519 primary key" -- "$TAYORI" dkim sign --key "$T/ed.pem" \
  --domain shop.example --selector s1
has "$T/err" "tayori: dkim sign: the primary key must be RSA" "ed25519 primary message"
printf 'To: a@example.net\n\nbody\n' > "$T/nofrom.eml"
IN=$T/nofrom.eml expect 2 "sign without From" -- "$TAYORI" dkim sign --key "$T/rsa.pem" --domain shop.example --selector s1
has "$T/err" "tayori: dkim sign: the message has no From header field" "no From message"
IN=$T/lf.eml expect 2 "sign with a missing key file" -- "$TAYORI" dkim sign --key "$T/none.pem" --domain shop.example \
  --selector s1
expect 2 "sign without --domain" -- "$TAYORI" dkim sign --key "$T/rsa.pem" --selector s1

echo "cli_dkim_test: $passes passed, $fails failed"
[[ $fails == 0 ]]
