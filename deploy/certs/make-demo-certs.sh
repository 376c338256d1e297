#!/usr/bin/env bash
# Generate the demo PKI for tsodso-gateway: a demo CA, the gateway's server
# certificate, one client certificate per demo party, and a few deliberately
# "bad" client certificates (unregistered, expired, foreign CA) used to
# exercise the gateway's mTLS rejection paths.
#
# Usage: make-demo-certs.sh [--force] OUT_DIR [EXTRA_SERVER_DNS...]
#
# Demo material only: keys are unencrypted and the CA key sits next to the
# certificates it signed. Never use these outside local/dev setups.
set -euo pipefail

readonly PROG=${0##*/}

usage() {
    cat >&2 <<USAGE
usage: $PROG [--force] OUT_DIR [EXTRA_SERVER_DNS...]

Writes a demo CA, server and client certificates (PEM) into OUT_DIR.
If OUT_DIR already holds a complete set, nothing is changed unless --force
is given, in which case everything (including the CA) is regenerated.
Each EXTRA_SERVER_DNS is added as a DNS subjectAltName to server.crt.
USAGE
    exit 2
}

die() { echo "$PROG: error: $*" >&2; exit 1; }

force=0
case ${1-} in
    -h|--help) usage ;;
    --force) force=1; shift ;;
esac
[[ $# -ge 1 && -n $1 ]] || usage
out_dir=$1
shift
extra_dns=("$@")

command -v openssl >/dev/null 2>&1 || die "openssl not found in PATH"

# Names end up verbatim inside an OpenSSL config file, so anything beyond
# plain hostname characters could inject config syntax.
for name in "${extra_dns[@]}"; do
    [[ $name =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] \
        || die "invalid EXTRA_SERVER_DNS name: '$name'"
done

readonly CLIENTS=(tso agg1 agg2 operator unregistered expired foreign)
EXPECTED=(ca.crt ca.key server.crt server.key foreign-ca.crt foreign-ca.key)
for c in "${CLIENTS[@]}"; do EXPECTED+=("$c.crt" "$c.key"); done
readonly EXPECTED

if [[ -e $out_dir/ca.crt && $force -eq 0 ]]; then
    missing=()
    for f in "${EXPECTED[@]}"; do
        [[ -e $out_dir/$f ]] || missing+=("$f")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "certificates already present in $out_dir"
        exit 0
    fi
    # A partial set cannot be trusted to belong to one CA, so start over.
    echo "$PROG: incomplete set in $out_dir (missing: ${missing[*]}); regenerating everything" >&2
fi

# Keys must never be world-readable, not even for the instant between
# creation and chmod.
umask 077

if [[ ! -d $out_dir ]]; then
    (umask 022 && mkdir -p -- "$out_dir")
    chmod 0755 -- "$out_dir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/make-demo-certs.XXXXXX")
# Staging lives inside OUT_DIR so the final moves are same-filesystem
# renames and a failed run never leaves a half-written set behind.
stage=$(mktemp -d "$out_dir/.make-demo-certs.XXXXXX")
trap 'rm -rf -- "$work" "$stage"' EXIT

# openssl is chatty on stderr even on success; only show it when it fails.
run() {
    if ! "$@" >"$work/run.log" 2>&1; then
        cat "$work/run.log" >&2
        die "command failed: $*"
    fi
}

# A private config keeps the system openssl.cnf (default extensions,
# prompts) from leaking into what we generate.
cat >"$work/req.cnf" <<'CNF'
[req]
distinguished_name = req_dn
prompt             = no
utf8               = yes
[req_dn]
CN = placeholder
[ca_ext]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

genkey() {
    run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
    chmod 0600 "$1"
}

# make_ca NAME "CN"
make_ca() {
    local name=$1 cn=$2
    genkey "$stage/$name.key"
    run openssl req -new -x509 -config "$work/req.cnf" -subj "/CN=$cn" \
        -key "$stage/$name.key" -sha256 -days 3650 \
        -extensions ca_ext \
        -out "$stage/$name.crt"
    chmod 0644 "$stage/$name.crt"
}

# write_leaf_ext FILE serverAuth|clientAuth SAN
write_leaf_ext() {
    cat >"$1" <<CNF
[leaf_ext]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = $2
subjectAltName         = $3
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF
}

# make_leaf NAME CA_NAME "CN" serverAuth|clientAuth SAN
make_leaf() {
    local name=$1 ca=$2 cn=$3 eku=$4 san=$5
    genkey "$stage/$name.key"
    run openssl req -new -config "$work/req.cnf" -subj "/CN=$cn" \
        -key "$stage/$name.key" -sha256 -out "$work/$name.csr"
    write_leaf_ext "$work/$name.ext" "$eku" "$san"
    # Random 128-bit serials: serial files would otherwise litter OUT_DIR.
    run openssl x509 -req -in "$work/$name.csr" \
        -CA "$stage/$ca.crt" -CAkey "$stage/$ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" \
        -sha256 -days 825 \
        -extfile "$work/$name.ext" -extensions leaf_ext \
        -out "$stage/$name.crt"
    chmod 0644 "$stage/$name.crt"
}

# `openssl x509 -req` in 3.0 can only sign from "now", so a certificate whose
# whole validity lies in the past needs `openssl ca` and its database files.
make_expired_leaf() {
    local name=$1 ca=$2 cn=$3 san=$4
    local db=$work/ca-db
    mkdir -p "$db/new"
    : >"$db/index.txt"
    echo "unique_subject = no" >"$db/index.txt.attr"
    cat >"$db/ca.cnf" <<CNF
[ca]
default_ca = demo_ca
[demo_ca]
database        = $db/index.txt
new_certs_dir   = $db/new
certificate     = $stage/$ca.crt
private_key     = $stage/$ca.key
rand_serial     = yes
default_md      = sha256
policy          = policy_anything
email_in_dn     = no
copy_extensions = none
unique_subject  = no
[policy_anything]
commonName = supplied
CNF
    genkey "$stage/$name.key"
    run openssl req -new -config "$work/req.cnf" -subj "/CN=$cn" \
        -key "$stage/$name.key" -sha256 -out "$work/$name.csr"
    write_leaf_ext "$work/$name.ext" clientAuth "$san"
    run openssl ca -batch -notext -config "$db/ca.cnf" \
        -startdate 20200101000000Z -enddate 20200102000000Z \
        -extfile "$work/$name.ext" -extensions leaf_ext \
        -in "$work/$name.csr" -out "$stage/$name.crt"
    chmod 0644 "$stage/$name.crt"
}

make_ca ca "tsodso demo CA"

server_san="DNS:localhost, IP:127.0.0.1, DNS:gateway, DNS:tsodso-gateway"
for name in "${extra_dns[@]}"; do
    server_san+=", DNS:$name"
done
make_leaf server ca tsodso-gateway serverAuth "$server_san"

make_leaf tso          ca tso.terna.demo    clientAuth URI:urn:tsodso:party:tso-terna
make_leaf agg1         ca agg1.demo         clientAuth URI:urn:tsodso:party:agg-1
make_leaf agg2         ca agg2.demo         clientAuth URI:urn:tsodso:party:agg-2
make_leaf operator     ca operator.dso.demo clientAuth URI:urn:tsodso:party:dso-operator
make_leaf unregistered ca stranger.demo     clientAuth URI:urn:tsodso:party:stranger

# Same identity as tso, so a gateway that only checked the SAN/CN and not the
# validity window or the issuer would wrongly accept these two.
make_expired_leaf expired ca tso.terna.demo URI:urn:tsodso:party:tso-terna
make_ca foreign-ca "foreign CA"
make_leaf foreign foreign-ca tso.terna.demo clientAuth URI:urn:tsodso:party:tso-terna

# Self-check: the negative test certs are only useful if they fail for the
# intended reason, and the positive ones must really chain to the demo CA.
failures=0
# check EXPECT(pass|fail) DESCRIPTION COMMAND...
check() {
    local expect=$1 what=$2 got=pass
    shift 2
    "$@" >/dev/null 2>&1 || got=fail
    if [[ $got == "$expect" ]]; then
        echo "  ok    $what"
    else
        echo "  FAIL  $what" >&2
        failures=$((failures + 1))
    fi
}
echo "self-check:"
check pass "server.crt verifies against ca.crt (sslserver)" \
    openssl verify -CAfile "$stage/ca.crt" -purpose sslserver "$stage/server.crt"
for c in tso agg1 agg2 operator unregistered; do
    check pass "$c.crt verifies against ca.crt (sslclient)" \
        openssl verify -CAfile "$stage/ca.crt" -purpose sslclient "$stage/$c.crt"
done
check fail "foreign.crt does NOT verify against ca.crt" \
    openssl verify -CAfile "$stage/ca.crt" "$stage/foreign.crt"
check pass "foreign.crt verifies against foreign-ca.crt" \
    openssl verify -CAfile "$stage/foreign-ca.crt" -purpose sslclient "$stage/foreign.crt"
check fail "expired.crt is expired (x509 -checkend 0 reports it)" \
    openssl x509 -noout -checkend 0 -in "$stage/expired.crt"
check pass "expired.crt is otherwise signed by ca.crt (verify -no_check_time)" \
    openssl verify -CAfile "$stage/ca.crt" -no_check_time -purpose sslclient "$stage/expired.crt"
[[ $failures -eq 0 ]] || die "$failures self-check(s) failed; $out_dir left untouched"

# Drop ca.crt first and install it last: the "already present" test keys off
# ca.crt, so an interrupted install is regenerated rather than trusted.
rm -f -- "$out_dir/ca.crt"
for f in "${EXPECTED[@]}"; do
    [[ $f == ca.crt ]] || mv -f -- "$stage/$f" "$out_dir/$f"
done
mv -f -- "$stage/ca.crt" "$out_dir/ca.crt"

echo
echo "demo certificates written to $out_dir:"
for f in ca server "${CLIENTS[@]}" foreign-ca; do
    subject=$(openssl x509 -noout -subject -nameopt oneline,-space_eq -in "$out_dir/$f.crt")
    issuer=$(openssl x509 -noout -issuer -nameopt oneline,-space_eq -in "$out_dir/$f.crt")
    until=$(openssl x509 -noout -enddate -in "$out_dir/$f.crt")
    san=$(openssl x509 -noout -ext subjectAltName -in "$out_dir/$f.crt" 2>/dev/null \
          | sed -n '2,$s/^ *//p' | paste -sd' ' -)
    printf '  %-16s %-28s %-26s %-34s %s\n' "$f.crt" "${subject#subject=}" \
        "issuer ${issuer#issuer=}" "until ${until#notAfter=}" "${san:--}"
done
echo "  (*.key files are unencrypted, mode 0600; ca.key can mint trusted certs - demo use only)"
