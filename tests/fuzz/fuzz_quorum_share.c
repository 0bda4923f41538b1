/*
 * libFuzzer target: quorum share files (src/ceremony/share.c), which a
 * custodian brings to a ceremony: parsed, their scrypt cost bounded, the
 * sealed share opened with the passphrase below, its fingerprint and its
 * split's list checked. A refusal must say why.
 *
 * The seeds (tests/fuzz/corpus/quorum_share/) were written by signet
 * ceremony run (quorum-split) with SIGNET_TEST_SCRYPT_LOG2N=10 and this
 * passphrase, so that mutations reach the checks behind the decryption.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/ceremony_int.h"
#include "signet/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PASSPHRASE "fuzz passphrase"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cer_share *sh = NULL, *pair[2];
	struct signet_secret *pin = NULL;
	int r;

	signet_error_clear();
	r = cer_share_open(data, size, "fuzz.share", FUZZ_PASSPHRASE,
	    strlen(FUZZ_PASSPHRASE), &sh);
	if (r != 0) {
		if (sh != NULL || signet_error_message()[0] == '\0')
			abort();
		return 0;
	}
	/* One share alone never rebuilds a PIN; the same one twice neither. */
	pair[0] = pair[1] = sh;
	if (cer_shares_combine(pair, 1, &pin) == 0 ||
	    cer_shares_combine(pair, 2, &pin) == 0 || pin != NULL)
		abort();
	cer_share_free(sh);
	return 0;
}
