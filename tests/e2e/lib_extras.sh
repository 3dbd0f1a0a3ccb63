# lib_extras.sh - helpers for the extras_*.sh e2e tests (ARI certIDs, the Python client)
# SPDX-License-Identifier: MIT
# Source after lib.sh, lib_acme.sh and e2e_init.
#
#   extras_client ARGS...      run tests/e2e/acme_cli.py order against ACME_DIR/ACME_ROOT
#   extras_certid CERT         prints the RFC 9773 certID of a PEM certificate
#   extras_days CERT           prints notAfter - notBefore in seconds

EXTRAS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

extras_client() {
	python3 "$EXTRAS_HERE/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" order "$@"
}

extras_certid() {
	python3 - "$1" <<'PY'
import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
n = c.serial_number
ser = n.to_bytes((n.bit_length() + 8) // 8, "big")  # DER INTEGER content, sign octet kept
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(b(aki) + "." + b(ser))
PY
}

extras_days() {
	local nb na
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	echo $((na - nb))
}
