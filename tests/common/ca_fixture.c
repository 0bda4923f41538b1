#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_fixture.h"
#include "fixture.h"

static char fx_dir[PATH_MAX];
static int made;

static void
ca_die(const char *what)
{
	fprintf(stderr, "ca_fixture: %s\n", what);
	abort();
}

const char *
fx_ca_dir(void)
{
	if (fx_dir[0] == '\0')
		snprintf(fx_dir, sizeof(fx_dir), "%s", fx_path("fx"));
	return fx_dir;
}

const char *
fx_ca_instance(const char *name, const char *init_args)
{
	static char config[PATH_MAX + 32];
	char conf[PATH_MAX + 32];
	const char *inst = fx_path(name);

	if (!made) {
		if (fx_sh("cd '%s' && SIGNET_BIN='%s' SIGNET_SOURCE_DIR='%s' "
			  "sh -c '. \"$SIGNET_SOURCE_DIR/tests/cli/"
			  "ca_fixture.sh\" && ca_fixture \"$0\"' '%s' "
			  ">/dev/null",
			fx_tmpdir(), fx_signet_bin(), fx_source_dir(),
			fx_ca_dir()) != 0)
			ca_die("tests/cli/ca_fixture.sh failed");
		snprintf(conf, sizeof(conf), "%s/hsm/softhsm2.conf",
		    fx_ca_dir());
		setenv("SOFTHSM2_CONF", conf, 1);
		made = 1;
	}
	if (fx_sh("'%s' init --dir '%s' --ca-cert '%s/ca.pem' --chain "
		  "'%s/chain.pem' --key 'pkcs11:token=ca;object=ca-key' "
		  "--audit-key 'pkcs11:token=ca;object=audit-key' --policy "
		  "'%s/policies/default.yaml' --pin-source "
		  "'file:%s/hsm/ca.pin' "
		  "%s >/dev/null",
		fx_signet_bin(), inst, fx_ca_dir(), fx_ca_dir(),
		fx_source_dir(), fx_ca_dir(),
		init_args != NULL ? init_args : "") != 0)
		ca_die("signet init failed");
	snprintf(config, sizeof(config), "%s/signet.yaml", inst);
	return config;
}

void
fx_ca_csr(const char *path, const char *subject, const char *san)
{
	if (fx_sh("openssl req -new -newkey ec -pkeyopt "
		  "ec_paramgen_curve:P-256 -nodes -keyout /dev/null -out '%s' "
		  "-subj '%s' -addext 'subjectAltName=%s' 2>/dev/null",
		path, subject, san) != 0)
		ca_die("openssl req failed");
}
