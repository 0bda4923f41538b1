/*
 * The dns-01 validator's walk of a DNS answer (src/serve/
 * front_acme_dns_answer.c): any message is either walked, a TXT record
 * found or not, or refused with a reason; the CNAME chain stays within
 * its bound and the name within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/front_acme_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[ACME_DNS_NAME_MAX + 2] = "_acme-challenge.www.example.com";
	char why[200] = "";
	unsigned hops = 0, n_txt = 0;
	int r;

	if (size > ACME_DNS_MAX_ANSWER)
		return 0;
	r = acme_dns_txt_match(data, size, name, &hops,
	    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", &n_txt, why,
	    sizeof(why));
	if (r < -1 || r > 1 || hops > ACME_DNS_MAX_CNAMES ||
	    strlen(name) > ACME_DNS_NAME_MAX + 1 ||
	    (r == -1 && why[0] == '\0') || (r == 1 && n_txt == 0))
		abort();
	return 0;
}
