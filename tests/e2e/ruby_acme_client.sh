#!/usr/bin/env bash
# ruby_acme_client.sh - Debian's Ruby acme-client gem (ruby-acme-client) registers and
# gets a certificate over http-01 against `localacme serve` (issue 12 item 11: the gem
# crashes on a Replay-Nonce in the directory response, RFC 8555 §7.2 puts none there).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require ruby python3 openssl curl
if ! ruby -e 'require "acme-client"' 2>/dev/null; then
	echo "skip: the ruby-acme-client package is not installed" >&2
	exit 77
fi

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01"
# The http-01 target: a static file server over the gem's challenge files.
docroot=$(e2e_tmpdir)
e2e_start http01 python3 -m http.server --bind 127.0.0.1 --directory "$docroot" "$HTTP01"
e2e_wait_port "$HTTP01"

name=ruby.localhost
out=$(e2e_tmpdir)
timeout 180 ruby - "$ACME_DIR" "$ACME_ROOT" "$docroot" "$name" "$out" \
    >"$E2E_TMP/ruby.out" 2>&1 <<'RUBY' ||
require 'acme-client'
require 'fileutils'
require 'openssl'

dir, ca, docroot, name, out = ARGV
opts = { ssl: { ca_file: ca }, request: { timeout: 30 } }

def wait_for(what, obj)
  60.times do
    break unless %w[pending processing].include?(obj.status)
    sleep 0.5
    obj.reload
  end
  raise "#{what} is #{obj.status}" unless yield(obj.status)
end

# The gem (2.0.9) writes a JWK coordinate without its leading zero bytes;
# RFC 7518 §6.2.1.2 wants all 32, and localacme refuses a short one, as
# Boulder (go-jose) does ("EC JWK coordinates must be 32 octets"). About
# one key in 128 has such a coordinate: use one that has none.
key = nil
loop do
  key = OpenSSL::PKey::EC.generate('prime256v1')
  pt = key.public_key.to_bn(:uncompressed).to_s(2)	# 04 || X || Y
  break if pt.getbyte(1) != 0 && pt.getbyte(33) != 0
end
client = Acme::Client.new(private_key: key, directory: dir,
                          connection_options: opts)
account = client.new_account(contact: 'mailto:dev@example.test',
                             terms_of_service_agreed: true)
puts "account #{account.kid} #{account.status}"
order = client.new_order(identifiers: [name])
ch = order.authorizations.first.http01
path = File.join(docroot, ch.filename)
FileUtils.mkdir_p(File.dirname(path))
File.write(path, ch.file_content)
ch.request_validation
wait_for('challenge', ch) { |s| s == 'valid' }
puts "challenge #{ch.status}"
# The gem's own CertificateRequest writes version 2 (RFC 2986 has only
# 0, "v1"), which localacme refuses as badCSR; a plain OpenSSL request.
leaf_key = OpenSSL::PKey::EC.generate('prime256v1')
csr = OpenSSL::X509::Request.new
csr.version = 0
csr.subject = OpenSSL::X509::Name.new([['CN', name]])
csr.public_key = leaf_key
san = OpenSSL::X509::ExtensionFactory.new.create_extension(
  'subjectAltName', "DNS:#{name}")
csr.add_attribute(OpenSSL::X509::Attribute.new('extReq',
  OpenSSL::ASN1::Set([OpenSSL::ASN1::Sequence([san])])))
csr.sign(leaf_key, OpenSSL::Digest::SHA256.new)
order.finalize(csr: csr)
wait_for('order', order) { |s| s == 'valid' }
File.write(File.join(out, 'chain.pem'), order.certificate)
puts "certificate #{order.status}"
RUBY
	e2e_fail "the Ruby acme-client gem failed: $(tail -20 "$E2E_TMP/ruby.out")"
grep -q '^account .* valid$' "$E2E_TMP/ruby.out" || e2e_fail "no account: $(cat "$E2E_TMP/ruby.out")"
e2e_ok "acme-client registered an account"

# The chain the gem downloaded: leaf first, then the intermediate.
openssl x509 -in "$out/chain.pem" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$out/chain.pem" "$name"
grep -q 'challenge .* (http-01) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no valid http-01 validation"
e2e_ok "acme-client got a certificate for $name over http-01"
echo "1 passed, 0 failed"
