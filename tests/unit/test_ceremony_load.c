/*
 * Ceremony files: every rule of the schema and of the values, a passing
 * file per ceremony type and failing ones that must name the problem at
 * its file:line. No token is needed: loading never opens one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "signet/ceremony.h"
#include "util/codec.h"

/* Lines 1-4 of most files: the type and a root token. */
#define HEAD(type)                       \
	"ceremony: " type "\n"           \
	"token:\n"                       \
	"  uri: \"pkcs11:token=root\"\n" \
	"  pin-source: file:hsm/root.pin\n"
#define RK HEAD("root-key")
#define KEYGEN "key:\n  type: ec-p256\n  label: k\n  id: \"01\"\n"
#define KEYFIND "key:\n  label: root-key\n  id: \"01\"\n"
#define SUBJECT "subject:\n  O: Example Corp\n  CN: Example Corp Root\n"

struct load_case {
	const char *name;
	const char *yaml;
	int code;
	const char *want[3]; /* substrings of the message */
	const char *never;   /* must not appear (a PIN) */
};

static const struct load_case cases[] = {
	/* ---- files that load -------------------------------------------- */
	{ "root-key", RK KEYGEN "outputs:\n  public-key: k.pem\n", 0, { NULL },
	    NULL },
	{ "root-key with backup and fingerprint",
	    RK "key:\n  type: ec-p384\n  label: k\n  id: \"0a0B\"\n"
	       "  backup: wrap-with-trusted\n"
	       "outputs:\n  public-key: k.pem\n  fingerprint: k.sha\n",
	    0, { NULL }, NULL },
	{ "root-cert",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  not-before: "
				      "2026-01-01T00:00:00Z\n  not-after: "
				      "2040-01-01T00:00:00Z\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: root-out.pem\n",
	    0, { NULL }, NULL },
	{ "intermediate-key with audit key",
	    "ceremony: intermediate-key\noperators: [Alice, Bob]\n"
	    "token:\n  uri: \"pkcs11:token=online\"\n  pin-source: prompt\n"
	    "key:\n  type: ec-p256\n  label: i\n  id: \"11\"\n"
	    "audit-key:\n  type: ec-p256\n  label: a\n  id: \"12\"\n" SUBJECT
	    "outputs:\n  public-key: i.pem\n  csr: i.csr\n"
	    "  audit-public-key: a.pem\n",
	    0, { NULL }, NULL },
	{ "intermediate-cert",
	    HEAD("intermediate-cert") KEYFIND
	    "policy: policies/default.yaml\nprofile: intermediate-ca\n"
	    "path-len: 0\n" SUBJECT "validity:\n  duration: 365d\n"
	    "inputs:\n  issuer-certificate: root.pem\n  csr: csr.pem\n"
	    "outputs:\n  certificate: i-out.pem\n",
	    0, { NULL }, NULL },
	{ "cross-cert",
	    HEAD("cross-cert") KEYFIND
	    "policy: policies/default.yaml\nprofile: root-ca\npath-len: 1\n"
	    "inputs:\n  issuer-certificate: root.pem\n"
	    "  subject-certificate: other.pem\n"
	    "outputs:\n  certificate: x-out.pem\n",
	    0, { NULL }, NULL },
	{ "root-crl with entries",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 7\n  next-update: 365d\n"
				     "  revoked:\n    - serial: \"7f01\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: keyCompromise\n"
				     "    - serial: \"01\"\n"
				     "      date: 2026-01-02T00:00:00Z\n"
				     "      reason: unspecified\n"
				     "      invalidity-date: "
				     "2025-12-31T00:00:00Z\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "  previous-crl: prev.crl\n"
				     "outputs:\n  crl: out.crl\n",
	    0, { NULL }, NULL },
	{ "key-backup",
	    "ceremony: key-backup\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  so-pin-source: env:SO_PIN\n" KEYFIND
	    "backup-token:\n  uri: \"pkcs11:token=root-backup\"\n",
	    0, { NULL }, NULL },

	{ "key-backup restoring a copy",
	    "ceremony: key-backup\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  accept-restored-key: true\n" KEYFIND
	    "backup-token:\n  uri: \"pkcs11:token=root-backup\"\n",
	    0, { NULL }, NULL },
	{ "root-crl signed by a restored key",
	    HEAD("root-crl") "  accept-restored-key: false\n" KEYFIND
			     "crl:\n  number: 2\n  next-update: 30d\n"
			     "inputs:\n  issuer-certificate: root.pem\n"
			     "outputs:\n  crl: out.crl\n",
	    0, { NULL }, NULL },

	/* ---- the schema -------------------------------------------------- */
	{ "unknown key",
	    RK KEYGEN "colour: red\noutputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "unknown key 'colour'" }, NULL },
	{ "unknown nested key",
	    RK "key:\n  type: ec-p256\n  label: k\n  size: 4096\n  id: "
	       "\"01\"\noutputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:8:", "unknown key 'size'" }, NULL },
	{ "duplicate key",
	    RK KEYGEN "outputs:\n  public-key: k.pem\n  public-key: j.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:11:", "duplicate key" }, NULL },
	{ "missing value",
	    RK "key:\n  type: ec-p256\n  label:\n  id: \"01\"\n"
	       "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:7:", "key.label", "no value given" },
	    NULL },
	{ "null value", RK KEYGEN "outputs:\n  public-key: ~\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:10:", "outputs.public-key", "no value given" }, NULL },
	{ "empty operator",
	    "ceremony: root-key\noperators:\n  - Alice\n  -\n" KEYGEN
	    "token:\n  uri: \"pkcs11:token=root\"\noutputs:\n  public-key: "
	    "k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:4:", "operators[1]" }, NULL },
	{ "missing key",
	    RK "key:\n  type: ec-p256\n  id: \"01\"\noutputs:\n  public-key: "
	       "k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:5:", "needs key.label" }, NULL },
	{ "missing section", RK KEYGEN, SIGNET_ERR_CONFIG,
	    { "c.yaml:1:", "a root-key ceremony needs outputs" }, NULL },
	{ "key for another type",
	    RK KEYGEN "crl:\n  number: 1\noutputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:9:", "crl", "does not belong in a root-key ceremony" },
	    NULL },
	{ "accept-restored-key is true or false",
	    HEAD("root-cert") "  accept-restored-key: yes\n" KEYFIND
			      "policy: policies/default.yaml\nprofile: "
			      "root-ca\n" SUBJECT
			      "inputs:\n  public-key: pub.pem\noutputs:\n"
			      "  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:5:", "token.accept-restored-key",
		"must be true or false" },
	    NULL },
	{ "no restored key to accept when generating",
	    RK "  accept-restored-key: true\n" KEYGEN
	       "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:5:", "token.accept-restored-key", "does not belong" },
	    NULL },
	{ "backup only for root keys",
	    HEAD("root-cert") "key:\n  label: k\n  backup: none\n"
			      "policy: policies/default.yaml\nprofile: "
			      "root-ca\n" SUBJECT
			      "inputs:\n  public-key: pub.pem\noutputs:\n"
			      "  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:7:", "key.backup", "does not belong" },
	    NULL },
	{ "no ceremony type", "token:\n  uri: \"pkcs11:token=root\"\n" KEYGEN,
	    SIGNET_ERR_CONFIG, { "c.yaml:1:", "does not say which ceremony" },
	    NULL },
	{ "unknown ceremony type",
	    HEAD("root-keys") KEYGEN "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:1:", "'root-keys' is not a ceremony" },
	    NULL },
	{ "syntax error", "ceremony: root-key\ntoken: [\n", SIGNET_ERR_CONFIG,
	    { "c.yaml:" }, NULL },
	{ "alias", "ceremony: root-key\nx: &a 1\ntoken:\n  uri: *a\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:4:", "aliases" }, NULL },

	/* ---- PINs are never in the file ------------------------------- */
	{ "pin in file",
	    "ceremony: root-key\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin: \"73914826\"\n" KEYGEN "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:4:", "token.pin", "a PIN never goes in a ceremony file" },
	    "73914826" },
	{ "so-pin in file",
	    "ceremony: key-backup\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  so-pin: \"55001122\"\n" KEYFIND
	    "backup-token:\n  uri: \"pkcs11:token=b\"\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:4:", "token.so-pin", "never goes" },
	    "55001122" },
	{ "pin in the backup token",
	    "ceremony: key-backup\ntoken:\n  uri: "
	    "\"pkcs11:token=root\"\n" KEYFIND
	    "backup-token:\n  uri: \"pkcs11:token=b\"\n  pin-value: "
	    "\"99887766\"\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:9:", "backup-token.pin-value", "never goes" },
	    "99887766" },
	{ "pin-value in the URI",
	    "ceremony: root-key\ntoken:\n  uri: "
	    "\"pkcs11:token=root?pin-value=31415926\"\n" KEYGEN
	    "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:3:", "token.uri", "pin-value" },
	    "31415926" },
	{ "pin as pin-source",
	    "ceremony: root-key\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: \"27182818\"\n" KEYGEN
	    "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:4:", "must be prompt, file:PATH or env:NAME" },
	    "27182818" },
	{ "pin-source in the URI",
	    "ceremony: root-key\ntoken:\n  uri: "
	    "\"pkcs11:token=root?pin-source=file:/x\"\n" KEYGEN
	    "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:3:", "token.pin-source" }, NULL },
	{ "key in the token URI",
	    "ceremony: root-key\ntoken:\n  uri: "
	    "\"pkcs11:token=root;object=k\"\n" KEYGEN
	    "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:3:", "names a key" }, NULL },
	{ "malformed URI",
	    "ceremony: root-key\ntoken:\n  uri: \"pkcs12:token=root\"\n" KEYGEN
	    "outputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:3:", "token.uri" }, NULL },

	/* ---- values ------------------------------------------------------ */
	{ "key type",
	    RK "key:\n  type: ec-p224\n  label: k\n  id: \"01\"\noutputs:\n"
	       "  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:6:", "unknown key type 'ec-p224'" },
	    NULL },
	{ "key id",
	    RK "key:\n  type: ec-p256\n  label: k\n  id: \"0g\"\noutputs:\n"
	       "  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:8:", "in hex" }, NULL },
	{ "key backup value",
	    RK KEYGEN "  backup: sometimes\noutputs:\n  public-key: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "wrap-with-trusted" }, NULL },
	{ "control character",
	    "ceremony: root-key\ndescription: \"a\\x01b\"\n" KEYGEN
	    "token:\n  uri: \"pkcs11:token=root\"\noutputs:\n  public-key: "
	    "k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:2:", "control character" }, NULL },
	{ "empty subject",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\nsubject: {}\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:10:", "names no attribute" }, NULL },
	{ "not-after and duration",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  not-before: "
				      "2026-01-01T00:00:00Z\n  not-after: "
				      "2040-01-01T00:00:00Z\n  duration: 9d\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:16:", "not both" }, NULL },
	{ "not-after alone",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  not-after: "
				      "2040-01-01T00:00:00Z\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:14:", "needs not-before" }, NULL },
	{ "not-after first",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  not-before: "
				      "2030-01-01T00:00:00Z\n  not-after: "
				      "2029-01-01T00:00:00Z\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:15:", "is not after not-before" },
	    NULL },
	{ "bad time",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  not-before: 2026-13-01\n"
				      "  duration: 1d\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:14:", "is not a UTC time" }, NULL },
	{ "bad duration",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "validity:\n  duration: 20 years\n"
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:14:", "is not a duration" }, NULL },
	{ "unknown profile",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root\n" SUBJECT
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "root-ca" }, NULL },
	{ "end-entity profile",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: tls-server\n" SUBJECT
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "not a CA profile" }, NULL },
	{ "path-len wider than the profile",
	    HEAD("intermediate-cert") KEYFIND
	    "policy: policies/default.yaml\nprofile: intermediate-ca\n"
	    "path-len: 1\n" SUBJECT
	    "inputs:\n  issuer-certificate: root.pem\n  csr: csr.pem\n"
	    "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:10:", "more than profile 'intermediate-ca' allows" },
	    NULL },
	{ "missing policy file",
	    HEAD("root-cert") KEYFIND "policy: policies/none.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_IO, { "c.yaml:8:", "policies/none.yaml" }, NULL },
	{ "missing input",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "inputs:\n  public-key: nothere.pem\n"
				      "outputs:\n  certificate: c.pem\n",
	    SIGNET_ERR_IO, { "c.yaml:14:", "nothere.pem" }, NULL },
	{ "crl number zero",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 0\n  next-update: 30d\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "from 1 up" }, NULL },
	{ "crl number not decimal",
	    HEAD("root-crl") KEYFIND
	    "crl:\n  number: 0x10\n  next-update: 30d\n"
	    "inputs:\n  issuer-certificate: root.pem\n"
	    "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:9:", "in decimal" }, NULL },
	{ "crl next-update",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 2\n  next-update: soon\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:10:", "neither a duration" }, NULL },
	{ "crl certificateHold",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 2\n  next-update: 30d\n"
				     "  revoked:\n    - serial: \"01\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: certificateHold\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:14:", "certificateHold is never" },
	    NULL },
	{ "crl serial",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 2\n  next-update: 30d\n"
				     "  revoked:\n    - serial: \"-5\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: superseded\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:12:", "not a positive serial" },
	    NULL },
	{ "crl serial twice",
	    HEAD("root-crl") KEYFIND "crl:\n  number: 2\n  next-update: 30d\n"
				     "  revoked:\n    - serial: \"0a\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: superseded\n"
				     "    - serial: \"0A\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: superseded\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:15:", "listed twice", "also on line 12" }, NULL },
	{ "audit key without its output",
	    "ceremony: intermediate-key\n"
	    "token:\n  uri: \"pkcs11:token=online\"\n" KEYGEN
	    "audit-key:\n  type: ec-p256\n  label: a\n  id: \"12\"\n" SUBJECT
	    "outputs:\n  public-key: i.pem\n  csr: i.csr\n",
	    SIGNET_ERR_CONFIG,
	    { "c.yaml:8:", "needs outputs.audit-public-key" }, NULL },
	{ "audit key with the same label",
	    "ceremony: intermediate-key\n"
	    "token:\n  uri: \"pkcs11:token=online\"\n" KEYGEN
	    "audit-key:\n  type: ec-p256\n  label: k\n  id: \"12\"\n" SUBJECT
	    "outputs:\n  public-key: i.pem\n  csr: i.csr\n"
	    "  audit-public-key: a.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:8:", "needs its own label" }, NULL },
	{ "backup to the same token",
	    "ceremony: key-backup\ntoken:\n  uri: "
	    "\"pkcs11:token=root\"\n" KEYFIND
	    "backup-token:\n  uri: \"pkcs11:token=root\"\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:8:", "names the same token" }, NULL },

	/* ---- outputs ----------------------------------------------------- */
	{ "output exists", RK KEYGEN "outputs:\n  public-key: exists.pem\n",
	    SIGNET_ERR_CONFLICT,
	    { "c.yaml:10:", "exists.pem exists already", "never overwrites" },
	    NULL },
	/* ---- quorums (issue 19) ----------------------------------------- */
	{ "quorum-split, first",
	    HEAD("quorum-split") KEYFIND
	    "split:\n  threshold: 2\n  custodians:\n"
	    "    - {name: Ann, share: a.share}\n"
	    "    - {name: Ben, share: b.share, passphrase-source: env:P}\n"
	    "    - {name: Cy, share: c.share, passphrase-source: file:p}\n",
	    0, { NULL }, NULL },
	{ "quorum-split without a key, unlocked by a quorum",
	    "ceremony: quorum-split\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: quorum\n"
	    "quorum:\n  custodians:\n    - {name: Ann, share: a.share}\n"
	    "split:\n  threshold: 2\n  custodians:\n"
	    "    - {name: Ann, share: a2.share}\n"
	    "    - {name: Ben, share: b2.share}\n",
	    0, { NULL }, NULL },
	{ "root-crl under a quorum",
	    "ceremony: root-crl\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: quorum\n"
	    "quorum:\n  custodians:\n    - {name: Ann, share: a.share}\n"
	    "    - {name: Ben, share: b.share}\n" KEYFIND
	    "crl:\n  number: 2\n  next-update: 30d\n"
	    "inputs:\n  issuer-certificate: root.pem\n"
	    "outputs:\n  crl: out.crl\n",
	    0, { NULL }, NULL },
	{ "threshold above N",
	    HEAD("quorum-split") "split:\n  threshold: 3\n  custodians:\n"
				 "    - {name: Ann, share: a.share}\n"
				 "    - {name: Ben, share: b.share}\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:6:", "split.threshold", "2 <= M" },
	    NULL },
	{ "threshold of one",
	    HEAD("quorum-split") "split:\n  threshold: 1\n  custodians:\n"
				 "    - {name: Ann, share: a.share}\n"
				 "    - {name: Ben, share: b.share}\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:6:", "2 <= M" }, NULL },
	{ "one custodian",
	    HEAD("quorum-split") "split:\n  threshold: 2\n  custodians:\n"
				 "    - {name: Ann, share: a.share}\n",
	    SIGNET_ERR_CONFIG, { "split", "at least 2" }, NULL },
	{ "custodian twice",
	    HEAD("quorum-split") "split:\n  threshold: 2\n  custodians:\n"
				 "    - {name: Ann, share: a.share}\n"
				 "    - {name: Ann, share: b.share}\n",
	    SIGNET_ERR_CONFIG, { "listed twice" }, NULL },
	{ "share file exists",
	    HEAD("quorum-split") "split:\n  threshold: 2\n  custodians:\n"
				 "    - {name: Ann, share: exists.pem}\n"
				 "    - {name: Ben, share: b.share}\n",
	    SIGNET_ERR_CONFLICT, { "exists.pem exists already" }, NULL },
	{ "passphrase in the file",
	    HEAD("quorum-split") "split:\n  threshold: 2\n  custodians:\n"
				 "    - {name: Ann, share: a.share, "
				 "passphrase-source: hunter2hunter2}\n"
				 "    - {name: Ben, share: b.share}\n",
	    SIGNET_ERR_CONFIG, { "passphrase-source", "must be prompt" },
	    "hunter2hunter2" },
	{ "quorum without pin-source quorum",
	    HEAD("root-crl") "quorum:\n  custodians:\n"
			     "    - {name: Ann, share: a.share}\n" KEYFIND
			     "crl:\n  number: 2\n  next-update: 30d\n"
			     "inputs:\n  issuer-certificate: root.pem\n"
			     "outputs:\n  crl: out.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:5:", "token.pin-source: quorum" },
	    NULL },
	{ "pin-source quorum without custodians",
	    "ceremony: root-crl\ntoken:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: quorum\n" KEYFIND
	    "crl:\n  number: 2\n  next-update: 30d\n"
	    "inputs:\n  issuer-certificate: root.pem\n"
	    "outputs:\n  crl: out.crl\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:4:", "no quorum: section" }, NULL },
	{ "split in a root-crl",
	    HEAD("root-crl") KEYFIND "split:\n  threshold: 2\n",
	    SIGNET_ERR_CONFIG, { "split", "does not belong in a root-crl" },
	    NULL },
	{ "output directory missing",
	    RK KEYGEN "outputs:\n  public-key: nodir/k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:10:", "nodir does not exist" }, NULL },
	{ "output is an input",
	    HEAD("root-cert") KEYFIND "policy: policies/default.yaml\n"
				      "profile: root-ca\n" SUBJECT
				      "inputs:\n  public-key: pub.pem\n"
				      "outputs:\n  certificate: pub.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:16:", "is also input public-key" },
	    NULL },
	{ "two outputs, one file",
	    RK KEYGEN "outputs:\n  public-key: k.pem\n  fingerprint: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:11:", "is also output public-key" },
	    NULL },
	{ "transcript is an output",
	    RK KEYGEN "outputs:\n  public-key: k.pem\n  transcript: k.pem\n",
	    SIGNET_ERR_CONFIG, { "c.yaml:11:", "is also output" }, NULL },
	{ "transcript exists",
	    RK KEYGEN "outputs:\n  public-key: k.pem\n  transcript: "
		      "old.transcript.json\n",
	    SIGNET_ERR_CONFLICT, { "c.yaml:11:", "has been run" }, NULL },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static int
setup(void **state)
{
	(void)state;
	fx_sh("mkdir -p '%s' && cp '%s/policies/default.yaml' '%s'",
	    fx_path("policies"), fx_source_dir(), fx_path("policies"));
	fx_write(fx_path("pub.pem"), "x", 1);
	fx_write(fx_path("root.pem"), "x", 1);
	fx_write(fx_path("csr.pem"), "x", 1);
	fx_write(fx_path("other.pem"), "x", 1);
	fx_write(fx_path("prev.crl"), "x", 1);
	fx_write(fx_path("exists.pem"), "x", 1);
	fx_write(fx_path("old.transcript.json"), "{}", 2);
	return 0;
}

static void
test_load_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		const struct load_case *tc = &cases[i];
		struct signet_ceremony *c = NULL;
		const char *msg;
		int r;

		fx_write(fx_path("c.yaml"), tc->yaml, strlen(tc->yaml));
		signet_error_clear();
		r = signet_ceremony_load(fx_path("c.yaml"), fx_tmpdir(), &c);
		msg = signet_error_message();
		if (r != tc->code)
			fprintf(stderr, "case '%s': got %d (%s), want %d\n",
			    tc->name, r, msg, tc->code);
		assert_int_equal(r, tc->code);
		if (r == 0) {
			assert_non_null(c);
			signet_ceremony_free(c);
			continue;
		}
		assert_null(c);
		for (k = 0; k < 3 && tc->want[k] != NULL; k++) {
			if (strstr(msg, tc->want[k]) == NULL)
				fprintf(stderr, "case '%s': '%s' lacks '%s'\n",
				    tc->name, msg, tc->want[k]);
			assert_non_null(strstr(msg, tc->want[k]));
		}
		if (tc->never != NULL)
			assert_null(strstr(msg, tc->never));
	}
}

/* The confirmation code is the file's hash; describe shows the plan. */
static void
test_describe(void **state)
{
	static const char yaml[] =
	    HEAD("root-crl") KEYFIND "crl:\n  number: 3\n  next-update: 90d\n"
				     "  revoked:\n    - serial: \"0B\"\n"
				     "      date: 2026-01-01T00:00:00Z\n"
				     "      reason: cACompromise\n"
				     "inputs:\n  issuer-certificate: root.pem\n"
				     "outputs:\n  crl: o.crl\n";
	struct signet_ceremony *c = NULL;
	char hex[65], *text;

	(void)state;
	fx_write(fx_path("d.yaml"), yaml, strlen(yaml));
	assert_int_equal(signet_ceremony_load(fx_path("d.yaml"), fx_tmpdir(),
			     &c),
	    0);
	assert_int_equal(sha256_hex(yaml, strlen(yaml), hex), 0);
	assert_string_equal(signet_ceremony_sha256(c), hex);
	assert_int_equal(strlen(signet_ceremony_confirm_code(c)), 8);
	assert_memory_equal(signet_ceremony_confirm_code(c), hex, 8);
	assert_int_equal(signet_ceremony_get_type(c), SIGNET_CEREMONY_ROOT_CRL);
	assert_int_equal(signet_ceremony_operator_count(c), 0);
	assert_int_equal(signet_ceremony_add_operator(c, "Alice"), 0);
	assert_int_equal(signet_ceremony_add_operator(c, "bad\nname"),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_ceremony_operator_count(c), 1);
	assert_non_null(text = signet_ceremony_describe(c));
	assert_non_null(strstr(text, hex));
	assert_non_null(strstr(text, "CRL number           3"));
	assert_non_null(strstr(text, "serial 0b"));
	assert_non_null(strstr(text, "cACompromise"));
	assert_non_null(strstr(text, "d.transcript.json"));
	assert_non_null(strstr(text, "o.crl"));
	/* Where the PIN comes from, never a PIN. */
	assert_non_null(strstr(text, "user PIN from file:"));
	free(text);
	signet_ceremony_free(c);
	assert_string_equal(signet_ceremony_type_name(
				SIGNET_CEREMONY_KEY_BACKUP),
	    "key-backup");
	assert_string_equal(signet_ceremony_type_name(99), "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
