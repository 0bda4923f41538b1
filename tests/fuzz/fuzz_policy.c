/*
 * libFuzzer target: policy files through the libyaml line pass, libcyaml
 * and the consistency checks. Policy files come from operators, but a
 * typo must give a message, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "signet/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_policy *policy = NULL;
	size_t i;

	if (signet_policy_load_mem("fuzz.yaml", data, size, &policy) != 0) {
		/* Every refusal says where. */
		if (signet_error_last()->code != SIGNET_ERR_CONFIG &&
		    signet_error_last()->code != SIGNET_ERR_INTERNAL)
			abort();
		return 0;
	}
	for (i = 0; i < signet_policy_profile_count(policy); i++)
		if (signet_policy_get0_profile(policy, i)->name == NULL)
			abort();
	signet_policy_free(policy);
	return 0;
}
